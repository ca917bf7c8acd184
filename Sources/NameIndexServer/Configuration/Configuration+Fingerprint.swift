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
            text += "source\0\(source.name)\0\(source.namespace)\0\(source.kind)\0partitions\0\(source.fetch.partitions)\0"
            text += source.settings.value.fingerprintText
            text += "\n"
        }
        return XXHash64.hash(Array(text.utf8))
    }
}
