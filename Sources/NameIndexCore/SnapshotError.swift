/// Why a snapshot file was not used. Every case means: ignore the file and
/// fetch from the sources.
public struct SnapshotError: NameIndexError {
    public typealias Code = ErrorCode<SnapshotError>

    public var code: Code
    public var path: String
    public var message: String
    public var underlying: (any Error & Sendable)?
    public var location: ErrorLocation

    public init(
        _ code: Code, path: String, _ message: String, underlying: (any Error & Sendable)? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.path = path
        self.message = message
        self.underlying = underlying
        self.location = ErrorLocation(file: file, line: line)
    }

    public var description: String { "\(path): \(message)" }
}

extension ErrorCode where Domain == SnapshotError {
    public static let unreadable = Self("unreadable")
    public static let badMagic = Self("badMagic")
    public static let unsupportedVersion = Self("unsupportedVersion")
    public static let wrongSize = Self("wrongSize")
    public static let badChecksum = Self("badChecksum")
    public static let malformed = Self("malformed")
    public static let configurationChanged = Self("configurationChanged")
    public static let writeFailed = Self("writeFailed")
}
