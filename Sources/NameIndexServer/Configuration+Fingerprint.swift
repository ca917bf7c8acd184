import NameIndexCore

extension Configuration {
    /// A fingerprint of everything that decides what the sources return: each
    /// source's name, namespace, kind and kind settings, in order.
    ///
    /// A snapshot records the fingerprint it was written under; after the
    /// sources change, the old snapshot no longer describes them and is not
    /// served. Daemon settings (directories, `refresh_on_start`) are not part of it.
    public var sourceFingerprint: UInt64 {
        var text = "nameindex sources v1\n"
        for source in sources {
            text += "source\0\(source.name)\0\(source.namespace)\0\(source.kind.rawValue)\0"
            switch source.settings {
            case .sqlite(let sqlite):
                text += "path\0\(sqlite.path)\0query\0\(sqlite.query)\0"
            case .file(let file):
                text += "path\0\(file.path)\0format\0\(file.format.rawValue)\0header\0\(file.header)\0"
                text += "key\0\(file.keyColumn)\0name\0\(file.nameColumn)\0"
                text += "keyField\0\(file.keyField)\0nameField\0\(file.nameField)\0"
            }
            text += "\n"
        }
        return XXHash64.hash(Array(text.utf8))
    }
}
