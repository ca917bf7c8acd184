/// Bytes shown as text that cannot mislead: printable UTF-8 as it is, a backslash as `\\`,
/// a tab, line feed and carriage return as `\t`, `\n`, `\r`, and every other byte (control
/// characters, bytes that are not UTF-8) as `\xNN`. Linear in the bytes shown.
public enum EscapedBytes {
    /// The text of at most the first `limit` bytes of `bytes` (a character cut by the limit
    /// is shown as bytes).
    public static func text(_ bytes: UnsafeRawBufferPointer, limit: Int = .max) -> String {
        let end = min(bytes.count, max(limit, 0))
        var out = ""
        out.reserveCapacity(end)
        var i = 0
        func hex(_ byte: UInt8) {
            let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
            out += "\\x"
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        while i < end {
            let byte = bytes[i]
            switch byte {
            case 0x5C: out += "\\\\"; i += 1
            case 0x09: out += "\\t"; i += 1
            case 0x0A: out += "\\n"; i += 1
            case 0x0D: out += "\\r"; i += 1
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte)); i += 1
            default:
                if let (scalar, length) = scalar(bytes, at: i, end: end), scalar.value >= 0xA0 {
                    out.unicodeScalars.append(scalar)
                    i += length
                } else {
                    hex(byte)
                    i += 1
                }
            }
        }
        return out
    }

    public static func text(_ bytes: [UInt8], limit: Int = .max) -> String {
        bytes.withUnsafeBytes { text($0, limit: limit) }
    }

    /// The well-formed UTF-8 scalar of two to four bytes at `i`, and its length.
    private static func scalar(_ b: UnsafeRawBufferPointer, at i: Int, end: Int) -> (Unicode.Scalar, Int)? {
        let lead = b[i]
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; value = UInt32(lead & 0x07)
        default: return nil
        }
        guard i + length <= end else { return nil }
        for k in 1..<length {
            let next = b[i + k]
            guard next & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(next & 0x3F)
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        let smallest: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard value >= smallest, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { return nil }
        return Unicode.Scalar(value).map { ($0, length) }
    }
}
