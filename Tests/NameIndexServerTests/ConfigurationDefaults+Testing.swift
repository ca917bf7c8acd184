import NameIndexServer
import NameIndexSources

extension ConfigurationDefaults {
    /// The defaults of a two-core machine with the system directories, for the configuration tests.
    static let testing = ConfigurationDefaults(
        coreCount: 2, runtimeDirectory: "/run/nameindexd", stateDirectory: "/var/lib/nameindexd")
}

/// The kinds' settings as the tests write and read them.
extension SourceSettings {
    static func file(_ options: FileOptions) -> SourceSettings { SourceSettings(FileKind(options)) }
    static func command(_ command: CommandKind) -> SourceSettings { SourceSettings(command) }
    static func sqlite(_ sqlite: SQLiteKind) -> SourceSettings { SourceSettings(sqlite) }

    var file: FileOptions? { (value as? FileKind)?.options }
    var postgresql: PostgreSQLKind? { value as? PostgreSQLKind }
}
