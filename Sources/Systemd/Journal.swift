import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Structured entries for the systemd journal (`sd_journal_sendv(3)`).
public enum Journal {
    /// Whether standard error is connected to the journal: `$JOURNAL_STREAM`
    /// names the device and inode of that stream (`systemd.exec(5)`), so a
    /// process whose stderr was redirected elsewhere does not send to the journal.
    public static func stderrIsJournal(environment value: String?) -> Bool {
        guard let value else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// A journal field name for `key`: upper case, letters, digits and `_`,
    /// not starting with `_` or a digit (journald drops other names);
    /// nil when nothing usable is left.
    public static func fieldName(_ key: String) -> String? {
        var name = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9", "_": name.unicodeScalars.append(scalar)
            case "-", ".", " ": name += "_"
            default: continue
            }
        }
        while let first = name.first, first == "_" || first.isNumber { name.removeFirst() }
        guard !name.isEmpty else { return nil }
        return String(name.prefix(64))
    }

    /// Sends one entry made of `fields` (`NAME=value` each, values may hold any bytes).
    ///
    /// - Returns: false when journald did not take it (no journal socket).
    @discardableResult
    public static func send(_ fields: [(String, String)]) -> Bool {
        // One buffer holding every field back to back, and an iovec for each.
        var storage: [UInt8] = []
        var ranges: [Range<Int>] = []
        for (name, value) in fields {
            let start = storage.count
            storage.append(contentsOf: name.utf8)
            storage.append(UInt8(ascii: "="))
            storage.append(contentsOf: value.utf8)
            ranges.append(start..<storage.count)
        }
        return storage.withUnsafeMutableBytes { bytes in
            let vectors = ranges.map { iovec(iov_base: bytes.baseAddress! + $0.lowerBound, iov_len: $0.count) }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) >= 0 }
        }
    }
}
