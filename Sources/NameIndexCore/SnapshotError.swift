/// Why a snapshot file was not used. Every case means: ignore the file and
/// fetch from the sources.
public struct SnapshotError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case unreadable, badMagic, unsupportedVersion, wrongSize, badChecksum, malformed, configurationChanged, writeFailed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let unreadable = Code(.unreadable)
        public static let badMagic = Code(.badMagic)
        public static let unsupportedVersion = Code(.unsupportedVersion)
        public static let wrongSize = Code(.wrongSize)
        public static let badChecksum = Code(.badChecksum)
        public static let malformed = Code(.malformed)
        public static let configurationChanged = Code(.configurationChanged)
        public static let writeFailed = Code(.writeFailed)

        public var description: String { String(describing: base) }
    }

    public var code: Code
    public var path: String
    public var message: String

    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
