import NameIndexCore

/// A configuration that cannot be used, and exactly where and why.
///
/// The message names the file, the key (as a path such as
/// `source[2].kind`) and what was expected, and the line when the TOML parser
/// reports one. ``description`` is the one line the daemon logs and
/// `--check-config` prints.
public struct ConfigurationError: NameIndexError {
    public typealias Code = ErrorCode<ConfigurationError>

    public var code: Code
    public var file: String
    /// The key path, e.g. `daemon.runtime_directory` or `source[2].kind`; nil for file-level errors.
    public var key: String?
    public var line: Int?
    public var message: String
    public var underlying: (any Error & Sendable)?
    public var location: ErrorLocation

    public init(
        code: Code, file: String, key: String? = nil, line: Int? = nil, message: String,
        underlying: (any Error & Sendable)? = nil, thrownAt location: ErrorLocation = ErrorLocation()
    ) {
        self.code = code
        self.file = file
        self.key = key
        self.line = line
        self.message = message
        self.underlying = underlying
        self.location = location
    }

    public var description: String {
        var prefix = file
        if let line { prefix += ":\(line)" }
        if let key { return "\(prefix): \(key): \(message)" }
        return "\(prefix): \(message)"
    }
}

extension ErrorCode where Domain == ConfigurationError {
    public static let fileNotFound = Self("fileNotFound")
    public static let unreadable = Self("unreadable")
    public static let syntax = Self("syntax")
    public static let unknownKey = Self("unknownKey")
    public static let missingKey = Self("missingKey")
    public static let invalidValue = Self("invalidValue")
    public static let duplicateSource = Self("duplicateSource")
}
