/// Checks that bytes are well-formed UTF-8 without creating a `String`.
///
/// Rows arrive as bytes and must be rejected, not repaired, when they are not
/// UTF-8: a repaired name would silently differ from the source. This is the
/// check every source applies to every key and name.
public enum UTF8Validation {
    /// Whether `bytes` is well-formed UTF-8 (no overlong forms, no surrogates,
    /// nothing above U+10FFFF, no truncated sequences).
    @inlinable
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            if b0 < 0xC2 { return false }
            if b0 < 0xE0 {
                guard i + 1 < n, isContinuation(bytes[i + 1]) else { return false }
                i += 2
                continue
            }
            if b0 < 0xF0 {
                guard i + 2 < n else { return false }
                let b1 = bytes[i + 1]
                let lower: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
                let upper: UInt8 = b0 == 0xED ? 0x9F : 0xBF
                guard b1 >= lower, b1 <= upper, isContinuation(bytes[i + 2]) else { return false }
                i += 3
                continue
            }
            if b0 < 0xF5 {
                guard i + 3 < n else { return false }
                let b1 = bytes[i + 1]
                let lower: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
                let upper: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
                guard b1 >= lower, b1 <= upper, isContinuation(bytes[i + 2]), isContinuation(bytes[i + 3])
                else { return false }
                i += 4
                continue
            }
            return false
        }
        return true
    }

    /// Whether the bytes of `array` are well-formed UTF-8.
    public static func isValid(_ array: [UInt8]) -> Bool {
        array.withUnsafeBytes { isValid($0) }
    }

    @inlinable
    static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }
}
