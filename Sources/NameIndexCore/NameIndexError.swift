/// The shape of nameindex's own errors, as NIOFileSystem's `FileSystemError` has it: a
/// stable ``ErrorCode``, a message for people, the error underneath when there is one, and
/// where it was thrown. ``ConfigurationError``-like types add the fields of their domain
/// (a file, a key, a path). Errors on the wire keep their own shapes (the varlink errors of
/// `io.nameindex.Index`, RESP's `-ERR`).
public protocol NameIndexError: Error, CustomStringConvertible, Sendable {
    var code: ErrorCode<Self> { get }
    var message: String { get }
    /// The error this one was made from (a system call's, a library's), for logs and tests.
    var underlying: (any Error & Sendable)? { get }
    var location: ErrorLocation { get }
}

/// What went wrong, as a value of one error type (`Domain`) that can gain cases without
/// breaking callers: each type declares its codes as static members.
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) { self.name = name }

    public var description: String { name }
}

/// Where an error was thrown: `#fileID:#line`.
public struct ErrorLocation: Hashable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int

    public init(file: String = #fileID, line: Int = #line) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}
