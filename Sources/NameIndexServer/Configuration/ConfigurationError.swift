/// A configuration that cannot be used, and exactly where and why.
///
/// The message names the file, the key (as a path such as
/// `source[2].kind`) and what was expected, and the line when the TOML parser
/// reports one. ``description`` is the one line the daemon logs and
/// `--check-config` prints.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case fileNotFound, unreadable, syntax, unknownKey, missingKey, invalidValue, duplicateSource
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let fileNotFound = Code(.fileNotFound)
        public static let unreadable = Code(.unreadable)
        public static let syntax = Code(.syntax)
        public static let unknownKey = Code(.unknownKey)
        public static let missingKey = Code(.missingKey)
        public static let invalidValue = Code(.invalidValue)
        public static let duplicateSource = Code(.duplicateSource)

        public var description: String { String(describing: base) }
    }

    public var code: Code
    public var file: String
    /// The key path, e.g. `daemon.runtime_directory` or `source[2].kind`; nil for file-level errors.
    public var key: String?
    public var line: Int?
    public var message: String

    public init(code: Code, file: String, key: String? = nil, line: Int? = nil, message: String) {
        self.code = code
        self.file = file
        self.key = key
        self.line = line
        self.message = message
    }

    public var description: String {
        var prefix = file
        if let line { prefix += ":\(line)" }
        if let key { return "\(prefix): \(key): \(message)" }
        return "\(prefix): \(message)"
    }
}
