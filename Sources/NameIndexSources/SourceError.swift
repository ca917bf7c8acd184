/// Why a source could not deliver its rows.
///
/// Shaped like the errors of swift-service-lifecycle and NIOFileSystem: a
/// stable ``Code``, a message for people, the underlying error, and where it
/// was thrown. Messages never carry a password.
public struct SourceError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as a value that can gain cases without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case notFound, permissionDenied, io, invalidConfiguration, cancelled
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let notFound = Code(.notFound)
        public static let permissionDenied = Code(.permissionDenied)
        public static let io = Code(.io)
        public static let invalidConfiguration = Code(.invalidConfiguration)
        public static let cancelled = Code(.cancelled)

        public var description: String { String(describing: base) }
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error & Sendable)?
    public var location: String

    public init(
        code: Code, message: String, underlying: (any Error & Sendable)? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.location = "\(file):\(line)"
    }

    public var description: String { message }
}
