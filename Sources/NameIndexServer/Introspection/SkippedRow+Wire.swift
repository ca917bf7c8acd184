import NameIndexCore
import NameIndexProtocol

extension IndexInterface.SkippedRow {
    /// The row as `Status` shows it: its bytes escaped, and where it was in words.
    init(_ row: NameIndexCore.SkippedRow) {
        self.init(
            reason: row.reason.rawValue, location: Self.location(of: row), raw: EscapedBytes.text(row.raw),
            rawBytes: row.rawBytes, key: row.key.map { EscapedBytes.text($0) })
    }

    /// `file /srv/users.tsv line 12 (byte 230)`, `partition 3, row 1042`, `output line 7
    /// (byte 96)`, `also in source 'employees', which answers`.
    static func location(of row: NameIndexCore.SkippedRow) -> String {
        if let holder = row.shadowedBy { return "also in source '\(holder)', which answers" }
        var parts: [String] = []
        if let partition = row.partition { parts.append("partition \(partition)") }
        let locator = row.locator
        if let line = locator.line {
            let place = row.input.map { "file \($0) line \(line)" } ?? "output line \(line)"
            parts.append(place + (locator.offset.map { " (byte \($0))" } ?? ""))
        } else if let offset = locator.offset {
            parts.append((row.input.map { "file \($0) " } ?? "output ") + "byte \(offset)")
        } else if let number = locator.row {
            parts.append("row \(number)")
        } else if let input = row.input {
            parts.append("file \(input)")
        }
        return parts.isEmpty ? "unknown" : parts.joined(separator: ", ")
    }
}
