import NameIndexSources
import NameIndexCore

extension Configuration {
    /// A fingerprint of everything that decides what the sources return: each
    /// source's name, namespace, kind and kind settings, in order.
    ///
    /// A snapshot records the fingerprint it was written under; after the
    /// sources change, the old snapshot no longer describes them and is not
    /// served. Daemon settings (directories, `refresh_on_start`) are not part of it.
    static func fingerprintText(_ rows: RowFormat) -> String {
        "format\0\(rows.format.rawValue)\0header\0\(rows.header)\0key\0\(rows.keyColumn)\0name\0\(rows.nameColumn)\0"
            + "keyField\0\(rows.keyField)\0nameField\0\(rows.nameField)\0maxLineBytes\0\(rows.maximumLineBytes)\0"
    }

    public var sourceFingerprint: UInt64 {
        var text = "nameindex sources v1\n"
        for source in sources {
            text += "source\0\(source.name)\0\(source.namespace)\0\(source.kind.rawValue)\0partitions\0\(source.fetch.partitions)\0"
            switch source.settings {
            case .postgresql(let postgresql):
                text += "url\0\(postgresql.location.description)\0query\0\(postgresql.query)\0"
            case .sqlite(let sqlite):
                text += "path\0\(sqlite.path)\0query\0\(sqlite.query)\0"
            case .file(let file):
                text += "path\0\(file.path)\0" + Self.fingerprintText(file.rows)
            case .command(let command):
                text += "command\0" + command.arguments.joined(separator: "\0") + "\0cwd\0\(command.workingDirectory)\0"
                text += Self.fingerprintText(command.rows)
            }
            text += "\n"
        }
        return XXHash64.hash(Array(text.utf8))
    }
}
