#if canImport(Glibc)
import Glibc
#endif

/// Why a request cannot be parsed. The server answers `-ERR <message>` and closes the
/// connection, as Redis does: after a framing error nothing that follows can be trusted.
public struct RESPProtocolError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// Parses Redis requests from bytes, one at a time and resumably: a multibulk request
/// (`*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n`, what every client library sends) or an inline one
/// (`PING hi\r\n`, what a person types into a raw connection).
///
/// The arguments are not copied: ``arguments`` gives each as a byte range of the request,
/// counted from its first byte. When a request is incomplete, the parser remembers how far
/// it got; call it again with the same first byte and more bytes after it.
public struct RESPRequestParser: Sendable {
    public static let defaultMaximumRequestBytes = 16 << 20
    public static let defaultMaximumArguments = 1 << 20
    /// An inline request, and the header line of a multibulk one, is at most this long (Redis's limit).
    public static let maximumLineBytes = 64 << 10

    public enum Result: Equatable, Sendable {
        /// A whole request of `length` bytes; its arguments are in ``arguments``.
        case request(length: Int)
        /// More bytes are needed.
        case incomplete
    }

    public let maximumRequestBytes: Int
    public let maximumArguments: Int

    /// The arguments of the request parsed last, as ranges from the request's first byte.
    /// Valid until the next call of ``parse(_:)``.
    public private(set) var arguments: [Range<Int>] = []

    /// Arguments the multibulk header announced; -1 before the header is read.
    private var expected = -1
    /// Bytes of the current request already parsed.
    private var position = 0
    /// Whether ``arguments`` belong to a request already returned.
    private var finished = false

    public init(maximumRequestBytes: Int = defaultMaximumRequestBytes, maximumArguments: Int = defaultMaximumArguments) {
        self.maximumRequestBytes = maximumRequestBytes
        self.maximumArguments = maximumArguments
        arguments.reserveCapacity(16)
    }

    /// Parses the request that starts at the first byte of `bytes`.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(RESPProtocolError) -> Result {
        if finished {
            finished = false
            // Keep the room of ordinary requests, not that of the largest one ever seen: an idle
            // connection would hold 16 bytes per argument of it.
            arguments.removeAll(keepingCapacity: arguments.capacity <= 1024)
            expected = -1
            position = 0
        }
        guard !bytes.isEmpty else { return .incomplete }
        if expected < 0 && position == 0 && bytes[0] != UInt8(ascii: "*") {
            return try parseInline(bytes)
        }
        if expected < 0 {
            // The header: *<count>\r\n
            guard let (count, next) = try Self.line(bytes, from: 1, what: "multibulk count") else { return .incomplete }
            guard let value = count, value <= maximumArguments else {
                throw RESPProtocolError("Protocol error: invalid multibulk length")
            }
            expected = max(value, 0)  // *-1 and *0: an empty request, skipped
            position = next
        }
        while arguments.count < expected {
            guard position < bytes.count else { return .incomplete }
            guard bytes[position] == UInt8(ascii: "$") else {
                throw RESPProtocolError("Protocol error: expected '$', got '\(Self.printable(bytes[position]))'")
            }
            guard let (length, next) = try Self.line(bytes, from: position + 1, what: "bulk length") else { return .incomplete }
            guard let length, length >= 0, length <= maximumRequestBytes else {
                throw RESPProtocolError("Protocol error: invalid bulk length")
            }
            let end = next + length
            guard end <= maximumRequestBytes else {
                throw RESPProtocolError("Protocol error: request larger than \(maximumRequestBytes) bytes")
            }
            guard end + 2 <= bytes.count else { return .incomplete }
            guard bytes[end] == UInt8(ascii: "\r"), bytes[end + 1] == UInt8(ascii: "\n") else {
                throw RESPProtocolError("Protocol error: expected CRLF after a bulk string")
            }
            arguments.append(next..<end)
            position = end + 2
        }
        finished = true
        return .request(length: position)
    }

    /// `PING hi\r\n`: arguments split at spaces and tabs; a part in double or single quotes
    /// may hold them (no escapes). A blank line is an empty request.
    private mutating func parseInline(_ bytes: UnsafeRawBufferPointer) throws(RESPProtocolError) -> Result {
        let limit = min(bytes.count, Self.maximumLineBytes)
        guard let newline = Self.find(UInt8(ascii: "\n"), in: bytes, from: 0, to: limit) else {
            if bytes.count >= Self.maximumLineBytes { throw RESPProtocolError("Protocol error: too big inline request") }
            return .incomplete
        }
        var end = newline
        if end > 0 && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        var i = 0
        while i < end {
            let byte = bytes[i]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                i += 1
                continue
            }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                guard let close = Self.find(byte, in: bytes, from: i + 1, to: end) else {
                    throw RESPProtocolError("Protocol error: unbalanced quotes in request")
                }
                arguments.append(i + 1..<close)
                i = close + 1
                if i < end && bytes[i] != UInt8(ascii: " ") && bytes[i] != UInt8(ascii: "\t") {
                    throw RESPProtocolError("Protocol error: unbalanced quotes in request")
                }
                continue
            }
            var j = i
            while j < end && bytes[j] != UInt8(ascii: " ") && bytes[j] != UInt8(ascii: "\t") { j += 1 }
            arguments.append(i..<j)
            i = j
        }
        guard arguments.count <= maximumArguments else { throw RESPProtocolError("Protocol error: invalid multibulk length") }
        finished = true
        return .request(length: newline + 1)
    }

    /// A decimal number ended by CRLF, starting at `start`: the value (nil when it is not a
    /// number that fits) and the offset after the CRLF; nil when the line is not complete.
    private static func line(_ bytes: UnsafeRawBufferPointer, from start: Int, what: String) throws(RESPProtocolError) -> (Int?, Int)? {
        let limit = min(bytes.count, start + maximumLineBytes)
        guard let cr = find(UInt8(ascii: "\r"), in: bytes, from: start, to: limit) else {
            if bytes.count >= start + maximumLineBytes { throw RESPProtocolError("Protocol error: too big \(what) string") }
            return nil
        }
        guard cr + 1 < bytes.count else { return nil }
        guard bytes[cr + 1] == UInt8(ascii: "\n") else { throw RESPProtocolError("Protocol error: invalid \(what)") }
        return (integer(bytes, start, cr), cr + 2)
    }

    /// The decimal integer in `bytes[start..<end]`, or nil.
    static func integer(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        var i = start
        var negative = false
        if i < end && bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < end, end - i <= 18 else { return nil }
        var value = 0
        while i < end {
            let digit = Int(bytes[i]) - 48
            guard digit >= 0 && digit <= 9 else { return nil }
            value = value * 10 + digit
            i += 1
        }
        return negative ? -value : value
    }

    private static func find(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        guard start < end else { return nil }
        guard let found = memchr(bytes.baseAddress! + start, Int32(byte), end - start) else { return nil }
        return UnsafeRawPointer(found) - bytes.baseAddress!
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x20..<0x7f).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}
