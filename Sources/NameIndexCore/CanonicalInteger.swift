/// Canonical decimal integers: the keys a table may store as numbers.
///
/// Canonical means what `String(Int64)` prints: `0`, or an optional `-`
/// followed by a non-zero digit and more digits, within `Int64`. `007`, `+7`,
/// `-0` and ` 7` are not canonical and stay text, so a key always reads back
/// exactly as it was written.
public enum CanonicalInteger {
    /// The value of `bytes` if they are a canonical decimal integer.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let n = bytes.count
        guard n > 0, n <= 20 else { return nil }
        var i = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative {
            i = 1
            guard n > 1 else { return nil }
        }
        let first = bytes[i]
        guard first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        if first == UInt8(ascii: "0") { return n == 1 ? 0 : nil }  // "0" only; no "-0", no "07"
        // Accumulate as a negative number so that Int64.min fits.
        var value: Int64 = 0
        while i < n {
            let c = bytes[i]
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.subtractingReportingOverflow(Int64(c &- UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        if negative { return value }
        return value == Int64.min ? nil : -value
    }

    /// The number of bytes of the canonical text of `value`.
    @inlinable
    public static func textLength(_ value: Int64) -> Int {
        var v = value.magnitude
        var digits = 1
        while v >= 10 {
            v /= 10
            digits += 1
        }
        return value < 0 ? digits + 1 : digits
    }

    /// Writes the canonical text of `value` into `buffer` (at least 20 bytes); returns its length.
    @inlinable
    public static func write(_ value: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let length = textLength(value)
        var v = value.magnitude
        var i = length - 1
        repeat {
            buffer[i] = UInt8(ascii: "0") &+ UInt8(v % 10)
            v /= 10
            i -= 1
        } while v > 0
        if value < 0 { buffer[0] = UInt8(ascii: "-") }
        return length
    }
}
