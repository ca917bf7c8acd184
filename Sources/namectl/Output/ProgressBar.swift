import NameIndexProtocol

/// How far a fetch is against the rows its source's previous load returned: a bar, the
/// percentage, and when it should end at the rate so far.
enum ProgressBar {
    static let width = 20

    /// `[#########-----------]  45%  ETA 12s`; nil when the previous load's rows are not
    /// known (a first load) or nothing has arrived yet to measure a rate by.
    static func text(rows: Int, previousRows: Int, elapsedUSec: UInt64) -> String? {
        guard previousRows > 0, rows > 0, elapsedUSec > 0 else { return nil }
        let ratio = min(1, Double(rows) / Double(previousRows))
        let filled = Int((ratio * Double(width)).rounded(.down))
        var text = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
        text += " \(String(Int((ratio * 100).rounded(.down))).leftPadded(to: 3))%"
        if rows < previousRows {
            let rate = Double(rows) / (Double(elapsedUSec) / 1e6)
            let remaining = Double(previousRows - rows) / rate
            text += "  ETA \(HumanFormat.duration(microseconds: UInt64(remaining * 1e6), coarse: true))"
        } else {
            text += "  past the last load's \(HumanFormat.count(previousRows)) rows"
        }
        return text
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
