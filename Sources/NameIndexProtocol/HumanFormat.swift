/// Numbers and durations for people, shared by the daemon's `STATUS=` line
/// and logs and by namectl, so both speak alike.
public enum HumanFormat {
    /// The number with ',' between groups of three digits: 12,345.
    public static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    /// `1 key`, `2 keys`: the count and the noun, plural when it should be.
    public static func count(_ value: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(count(value)) \(value == 1 ? singular : plural ?? singular + "s")"
    }

    /// A duration: `850us`, `12ms`, `3.2s`, `4min 5s`, `2h 10min`, `3d 4h`.
    /// With `coarse`, anything under a minute is whole seconds.
    public static func duration(microseconds us: UInt64, coarse: Bool = false) -> String {
        if us < 1_000 { return coarse ? "0s" : "\(us)us" }
        if us < 1_000_000 { return coarse ? "0s" : "\(us / 1_000)ms" }
        let seconds = us / 1_000_000
        if seconds < 60 {
            if coarse { return "\(seconds)s" }
            let tenths = (us % 1_000_000) / 100_000
            return "\(seconds).\(tenths)s"
        }
        if seconds < 3_600 { return "\(seconds / 60)min" + (seconds % 60 > 0 ? " \(seconds % 60)s" : "") }
        if seconds < 86_400 {
            return "\(seconds / 3_600)h" + ((seconds % 3_600) / 60 > 0 ? " \((seconds % 3_600) / 60)min" : "")
        }
        return "\(seconds / 86_400)d" + ((seconds % 86_400) / 3_600 > 0 ? " \((seconds % 86_400) / 3_600)h" : "")
    }
}
