#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// A size as systemctl prints it: `512B`, `12.3K`, `312.4M`, `1.2G` (powers of 1024).
    public static func bytes(_ value: Int) -> String {
        let units = ["B", "K", "M", "G", "T"]
        var size = Double(value)
        var unit = 0
        while size >= 1024 && unit < units.count - 1 {
            size /= 1024
            unit += 1
        }
        if unit == 0 { return "\(value)B" }
        let tenths = Int((size * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)\(units[unit])"
    }

    /// A local time for people: `2026-11-28 06:00:12 UTC`.
    public static func timestamp(microseconds: UInt64) -> String {
        var seconds = time_t(microseconds / 1_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let zone = parts.tm_zone.map { String(cString: $0) } ?? ""
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))" + (zone.isEmpty ? "" : " \(zone)")
    }

    /// How long before `now` a time was: `3h 2min ago`, or `just now`.
    public static func ago(_ microseconds: UInt64, now: UInt64) -> String {
        now > microseconds ? "\(duration(microseconds: now - microseconds, coarse: true)) ago" : "just now"
    }
}
