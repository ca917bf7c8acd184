import NameIndexCore

/// A reason the daemon cannot start or keep running, worded for the operator.
public struct DaemonError: NameIndexError {
    public typealias Code = ErrorCode<DaemonError>

    public var code: Code
    public var message: String
    public var underlying: (any Error & Sendable)?
    public var location: ErrorLocation

    public init(
        _ code: Code = .cannotRun, message: String, underlying: (any Error & Sendable)? = nil, file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.location = ErrorLocation(file: file, line: line)
    }

    public var description: String { message }
}

extension ErrorCode where Domain == DaemonError {
    /// Something the daemon needs is missing or taken (a socket, a directory, a lock).
    public static let cannotRun = Self("cannotRun")
}
