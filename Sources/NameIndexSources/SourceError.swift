import NameIndexCore

/// Why a source could not deliver its rows.
///
/// Shaped like the errors of swift-service-lifecycle and NIOFileSystem: a
/// stable ``Code``, a message for people, the underlying error, and where it
/// was thrown. Messages never carry a password.
public struct SourceError: NameIndexError {
    public typealias Code = ErrorCode<SourceError>

    public var code: Code
    public var message: String
    public var underlying: (any Error & Sendable)?
    public var location: ErrorLocation

    public init(
        code: Code, message: String, underlying: (any Error & Sendable)? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.location = ErrorLocation(file: file, line: line)
    }

    public var description: String { message }
}

extension ErrorCode where Domain == SourceError {
    public static let notFound = Self("notFound")
    public static let permissionDenied = Self("permissionDenied")
    public static let io = Self("io")
    public static let invalidConfiguration = Self("invalidConfiguration")
    public static let cancelled = Self("cancelled")
    /// What the partitions of a fetch share is gone (the connection holding a PostgreSQL
    /// snapshot): a partition cannot be retried alone, the whole source must be fetched again.
    public static let sharedStateLost = Self("sharedStateLost")
}
