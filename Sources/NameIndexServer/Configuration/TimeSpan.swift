/// Durations written as systemd writes them: `500ms`, `30s`, `10min`, `2h`,
/// `1min 30s`; a bare number is seconds.
public enum TimeSpan {
    /// The duration `text` names, or nil.
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [
            ("us", 1), ("ms", 1_000), ("s", 1_000_000), ("sec", 1_000_000), ("m", 60_000_000), ("min", 60_000_000),
            ("h", 3_600_000_000), ("d", 86_400_000_000),
        ]
        var total: Int64 = 0
        var rest = Substring(text.trimmingCharacters(in: " "))
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let value = Double(digits), value >= 0 else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unitText.count).drop { $0 == " " }
            let multiplier: Int64
            if unitText.isEmpty {
                multiplier = 1_000_000
            } else {
                guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
                multiplier = unit.1
            }
            let micros = value * Double(multiplier)
            guard micros < 9e15 else { return nil }
            total += Int64(micros.rounded())
        }
        return .microseconds(total)
    }

    /// `duration` as the shortest systemd-style text: `10min`, `1min 30s`, `500ms`.
    public static func format(_ duration: Duration) -> String {
        var micros = duration.microseconds
        if micros == 0 { return "0" }
        var parts: [String] = []
        for (unit, size) in [("d", UInt64(86_400_000_000)), ("h", 3_600_000_000), ("min", 60_000_000), ("s", 1_000_000), ("ms", 1_000), ("us", 1)]
        where micros >= size {
            parts.append("\(micros / size)\(unit)")
            micros %= size
        }
        return parts.joined(separator: " ")
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
