import NIOCore

/// Writes Redis replies (RESP2, or RESP3 after `HELLO 3`) into a buffer.
public struct RESPReply {
    public enum Version: Int, Sendable {
        case resp2 = 2
        case resp3 = 3
    }

    public var buffer: ByteBuffer
    public var version: Version
    /// The writer index no bulk string may pass: past it a bulk is not written and
    /// ``overflowed`` is set, so one request's reply can be bounded before it is built
    /// (see ``limit(to:)`` and ``rollback(to:)``).
    public private(set) var ceiling = Int.max
    /// A bulk string was dropped at the ``ceiling``: the reply since the mark is incomplete.
    public private(set) var overflowed = false

    public init(buffer: ByteBuffer, version: Version) {
        self.buffer = buffer
        self.version = version
    }

    /// Bounds what is written from here on to `bytes` more; returns the mark to roll back to.
    public mutating func limit(to bytes: Int) -> Int {
        let mark = buffer.writerIndex
        ceiling = bytes > Int.max - mark ? Int.max : mark + bytes
        return mark
    }

    /// Drops everything written since `mark` and lifts the bound. The memory the dropped
    /// reply took is given back: a buffer grown to the limit and kept for a short error would
    /// hold that much per connection for as long as the client does not read.
    public mutating func rollback(to mark: Int) {
        buffer.moveWriterIndex(to: mark)
        overflowed = false
        ceiling = .max
        if buffer.capacity > 4 * Swift.max(buffer.readableBytes, 1 << 16) {
            var fresh = ByteBufferAllocator().buffer(capacity: Swift.max(buffer.readableBytes, 256))
            fresh.writeImmutableBuffer(buffer)
            buffer = fresh
        }
    }

    /// Lifts the bound, keeping what was written.
    public mutating func unlimit() { ceiling = .max }

    /// `+OK`
    public mutating func simple(_ text: StaticString) {
        buffer.writeInteger(UInt8(ascii: "+"))
        buffer.writeStaticString(text)
        crlf()
    }

    /// `+text`, for text that is not a literal.
    public mutating func simple(string text: String) {
        buffer.writeInteger(UInt8(ascii: "+"))
        buffer.writeString(text)
        crlf()
    }

    /// `-ERR message` (the message starts with its code, `ERR`, `READONLY`, …; no line breaks).
    public mutating func error(_ message: String) {
        buffer.writeInteger(UInt8(ascii: "-"))
        var text = message
        text.withUTF8 { bytes in
            for byte in bytes { buffer.writeInteger(byte == 13 || byte == 10 ? UInt8(ascii: " ") : byte) }
        }
        crlf()
    }

    /// `:42`
    public mutating func integer(_ value: Int) { header(":", value) }

    /// `$5\r\nhello`, written with one reservation and one copy.
    @inline(__always)
    public mutating func bulk(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count <= ceiling &- buffer.writerIndex else {
            overflowed = true
            return
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count + 24) { out in
            let base = out.baseAddress!
            base.storeBytes(of: UInt8(ascii: "$"), as: UInt8.self)
            var i = 1 + RESPReply.digits(count, into: base + 1)
            base.storeBytes(of: UInt16(0x0A0D), toByteOffset: i, as: UInt16.self)  // "\r\n" little-endian
            i += 2
            if count > 0 { (base + i).copyMemory(from: bytes.baseAddress!, byteCount: count) }
            i += count
            base.storeBytes(of: UInt16(0x0A0D), toByteOffset: i, as: UInt16.self)
            return i + 2
        }
    }

    /// Writes the decimal digits of `value` (≥ 0) at `out`; their count.
    @inline(__always)
    static func digits(_ value: Int, into out: UnsafeMutableRawPointer) -> Int {
        if value < 10 {
            out.storeBytes(of: UInt8(48 + value), as: UInt8.self)
            return 1
        }
        var length = 0
        var rest = value
        while rest > 0 {
            length += 1
            rest /= 10
        }
        rest = value
        for i in stride(from: length - 1, through: 0, by: -1) {
            out.storeBytes(of: UInt8(48 + rest % 10), toByteOffset: i, as: UInt8.self)
            rest /= 10
        }
        return length
    }

    public mutating func bulk(_ text: String) {
        var text = text
        text.withUTF8 { bulk(UnsafeRawBufferPointer($0)) }
    }

    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    public mutating func null() {
        switch version {
        case .resp2: buffer.writeStaticString("$-1\r\n")
        case .resp3: buffer.writeStaticString("_\r\n")
        }
    }

    /// `*n`, followed by n replies.
    public mutating func array(_ count: Int) { header("*", count) }

    /// A map of n pairs: `%n` in RESP3, an array of 2n in RESP2; followed by key, value, ….
    public mutating func map(_ count: Int) {
        version == .resp3 ? header("%", count) : array(2 * count)
    }

    /// A set of n members: `~n` in RESP3, an array in RESP2.
    public mutating func set(_ count: Int) {
        version == .resp3 ? header("~", count) : array(count)
    }

    /// `<marker><n>\r\n`: the head of an aggregate, an integer or a verbatim string.
    private mutating func header(_ marker: Unicode.Scalar, _ value: Int) {
        buffer.writeInteger(UInt8(ascii: marker))
        decimal(value)
        crlf()
    }

    /// Text for people (INFO): a verbatim string `=n\r\ntxt:…` in RESP3, a bulk string in RESP2.
    public mutating func verbatim(_ text: String) {
        switch version {
        case .resp2: bulk(text)
        case .resp3:
            header("=", text.utf8.count + 4)
            buffer.writeStaticString("txt:")
            buffer.writeString(text)
            crlf()
        }
    }

    @inline(__always)
    mutating func crlf() {
        buffer.writeInteger(UInt16(0x0D0A))  // "\r\n", big-endian
    }

    /// The decimal digits of `value`, without a String.
    @inline(__always)
    mutating func decimal(_ value: Int) {
        if value >= 0 && value < 10 {
            buffer.writeInteger(UInt8(48 + value))
            return
        }
        var digits = (UInt64(0), UInt64(0), UInt64(0))  // 24 bytes: enough for any Int with its sign
        withUnsafeMutableBytes(of: &digits) { scratch in
            var magnitude = value.magnitude
            var i = scratch.count
            repeat {
                i -= 1
                scratch[i] = UInt8(48 + magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                i -= 1
                scratch[i] = UInt8(ascii: "-")
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[i...]))
        }
    }
}
