/// A delta row's watermark: the value (an integer, or a timestamp as text that sorts) that
/// says how recent the row is. The daemon keeps the largest one seen, from the data, and
/// hands it to the next delta.
public enum Watermark {
    /// The longest watermark kept; a longer one is counted as malformed.
    public static let maximumBytes = 256

    /// Order of two watermarks: numeric when both are decimal integers (`9` before `10`),
    /// byte-wise when neither is (ISO timestamps of one format and time zone sort so), and an
    /// integer before any other text. A total order (a source that mixes the two still gets
    /// one largest watermark, whatever order its rows come in): integers of one value with
    /// other bytes (`07`, `7`) go by their bytes.
    public static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        switch (integer(a), integer(b)) {
        case (let x?, let y?) where x != y: return x < y ? -1 : 1
        case (_?, nil): return -1
        case (nil, _?): return 1
        default: break
        }
        let common = min(a.count, b.count)
        for i in 0..<common where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return a.count - b.count
    }

    public static func compare(_ a: String, _ b: String) -> Int {
        var x = a
        var y = b
        return x.withUTF8 { xa in y.withUTF8 { ya in compare(UnsafeRawBufferPointer(xa), UnsafeRawBufferPointer(ya)) } }
    }

    /// The later of two watermarks (nil counts as earliest).
    public static func later(_ a: String?, _ b: String?) -> String? {
        guard let a else { return b }
        guard let b else { return a }
        return compare(a, b) >= 0 ? a : b
    }

    /// `text` as a decimal integer (an optional `-`, then 1 to 18 digits), or nil.
    static func integer(_ text: UnsafeRawBufferPointer) -> Int64? {
        var digits = text[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return negative ? -value : value
    }

    /// How far back from the watermark the next delta starts (`delta_lag`).
    public enum Lag: Sendable, Equatable {
        /// Subtracted from an integer watermark as it is (a sequence, epoch seconds).
        case units(Int64)
        /// Subtracted from a timestamp's `YYYY-MM-DD HH:MM:SS` (or `T`) as seconds, the rest of
        /// the text (fraction, zone) kept; from an integer watermark as seconds too.
        case seconds(Int64)
    }

    /// `watermark` moved back by `lag`; unchanged when it is neither an integer nor a
    /// timestamp this understands (then no lag applies, and the docs say so).
    public static func lagged(_ watermark: String, by lag: Lag) -> String {
        let amount: Int64
        switch lag {
        case .units(let n), .seconds(let n): amount = n
        }
        guard amount > 0 else { return watermark }
        var copy = watermark
        if let value = copy.withUTF8({ integer(UnsafeRawBufferPointer($0)) }) {
            return String(value - amount)
        }
        guard case .seconds(let seconds) = lag, let moment = Timestamp(watermark) else { return watermark }
        return moment.adding(seconds: -seconds)
    }

    /// Whether a delta row's deleted flag says deleted: `true`/`t`/`1`/`yes`/`y` (any case) is
    /// true, `false`/`f`/`0`/`no`/`n` and empty are false; nil for anything else.
    public static func isDeleted(_ flag: UnsafeRawBufferPointer) -> Bool? {
        guard flag.count <= 5 else { return nil }
        switch String(decoding: flag, as: UTF8.self).lowercased() {
        case "true", "t", "1", "yes", "y": return true
        case "false", "f", "0", "no", "n", "": return false
        default: break
        }
        return nil
    }

    /// The `YYYY-MM-DD HH:MM:SS` start of a timestamp's text, and what follows it.
    struct Timestamp {
        let year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
        let separator: Character
        let rest: Substring

        init?(_ text: String) {
            let chars = Array(text.utf8.prefix(19))
            guard chars.count == 19, chars[4] == UInt8(ascii: "-"), chars[7] == UInt8(ascii: "-"),
                chars[10] == UInt8(ascii: " ") || chars[10] == UInt8(ascii: "T"), chars[13] == UInt8(ascii: ":"),
                chars[16] == UInt8(ascii: ":")
            else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for i in range {
                    guard chars[i] >= UInt8(ascii: "0"), chars[i] <= UInt8(ascii: "9") else { return nil }
                    value = value * 10 + Int(chars[i] - UInt8(ascii: "0"))
                }
                return value
            }
            guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10), let h = number(11..<13),
                let mi = number(14..<16), let s = number(17..<19), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
            else { return nil }
            (year, month, day, hour, minute, second) = (y, mo, d, h, mi, s)
            separator = Character(Unicode.Scalar(chars[10]))
            rest = text.dropFirst(19)
        }

        /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
        static func days(_ y: Int, _ m: Int, _ d: Int) -> Int {
            let year = m <= 2 ? y - 1 : y
            let era = (year >= 0 ? year : year - 399) / 400
            let yoe = year - era * 400
            let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            return era * 146_097 + doe - 719_468
        }

        static func civil(_ z: Int) -> (Int, Int, Int) {
            let z = z + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let doe = z - era * 146_097
            let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            let d = doy - (153 * mp + 2) / 5 + 1
            let m = mp < 10 ? mp + 3 : mp - 9
            return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
        }

        func adding(seconds delta: Int64) -> String {
            let total = Int64(Self.days(year, month, day)) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) + delta
            let days = Int(total >= 0 ? total / 86_400 : (total - 86_399) / 86_400)
            let within = Int(total - Int64(days) * 86_400)
            let (y, m, d) = Self.civil(days)
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let year = String(repeating: "0", count: max(0, 4 - String(y).count)) + String(y)
            return "\(year)-\(two(m))-\(two(d))\(separator)\(two(within / 3600)):\(two(within / 60 % 60)):\(two(within % 60))\(rest)"
        }
    }
}
