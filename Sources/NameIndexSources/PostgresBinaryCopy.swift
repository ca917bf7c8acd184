import NameIndexCore

/// PostgreSQL's binary COPY format, parsed as it streams from `COPY (…) TO STDOUT (FORMAT
/// binary)` into a ``RowBatch``: a signature and header, then per row a column count (2, the
/// key and the name the generated statement casts) and each column as a length (-1: NULL) and
/// its bytes, then -1 as the trailer.
///
/// Messages may split a row anywhere; the unfinished part is carried to the next message, so
/// the carry never holds more than one row, and a column longer than ``maximumFieldBytes`` is
/// refused before its bytes arrive. Nothing is allocated per row: rows go straight from the
/// message's bytes into the batch.
public struct PostgresBinaryCopy: Sendable {
    /// How the key column is cast: `::int8` (8 bytes, written as its canonical decimal text) or `::text`.
    public enum KeyType: Sendable { case int8, text }

    public let keyType: KeyType
    /// A delta: four columns per row, key, name, the deleted flag (`::bool`) and the watermark
    /// (`::text`), into ``RowBatch/appendDelta(key:name:deleted:watermark:)``.
    public let delta: Bool
    /// The longest column accepted (a name, most likely); longer fails the fetch.
    public let maximumFieldBytes: Int
    /// Rows the server sent, NULLs included: compared with its `COPY n`.
    public private(set) var rows = 0

    private var carry: [UInt8] = []
    private var headerRead = false
    private var ended = false

    public static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
    public static let defaultMaximumFieldBytes = 64 << 20

    public init(keyType: KeyType, delta: Bool = false, maximumFieldBytes: Int = PostgresBinaryCopy.defaultMaximumFieldBytes) {
        self.keyType = keyType
        self.delta = delta
        self.maximumFieldBytes = maximumFieldBytes
    }

    /// Parses one message of the stream, appending its complete rows to `batch`.
    public mutating func feed(_ message: UnsafeRawBufferPointer, into batch: inout RowBatch) throws {
        guard !message.isEmpty else { return }
        if carry.isEmpty {
            let used = try parse(message, into: &batch)
            if used < message.count { carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: message[used...])) }
            return
        }
        carry.append(contentsOf: message)
        let held = carry
        let used = try held.withUnsafeBytes { try parse($0, into: &batch) }
        carry.removeFirst(used)
    }

    /// The stream has ended: it must have ended with the trailer, with nothing after it.
    public func finish() throws {
        guard ended, carry.isEmpty else {
            throw Self.failure("the COPY stream ended in the middle (\(headerRead ? "after \(rows) rows" : "before its header"))")
        }
    }

    /// Parses what it can of `bytes`; returns how many bytes it used.
    private mutating func parse(_ bytes: UnsafeRawBufferPointer, into batch: inout RowBatch) throws -> Int {
        var at = 0
        if !headerRead {
            guard let end = try header(bytes) else { return 0 }
            at = end
            headerRead = true
        }
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: the text of an int8
        while at < bytes.count {
            if ended { throw Self.failure("\(bytes.count - at) bytes after the end of the COPY stream") }
            guard at + 2 <= bytes.count else { return at }
            let columns = Int16(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int16.self))
            if columns == -1 {
                ended = true
                at += 2
                continue
            }
            let expected = delta ? 4 : 2
            guard columns == expected else { throw Self.failure("a row with \(columns) columns; the statement selects \(expected)") }
            guard let (key, afterKey) = try field(bytes, at: at + 2),
                let (name, afterName) = try field(bytes, at: afterKey)
            else { return at }
            if delta {
                guard let (flag, afterFlag) = try field(bytes, at: afterName), let (mark, afterMark) = try field(bytes, at: afterFlag)
                else { return at }
                at = afterMark
                rows += 1
                try deltaRow(bytes, key: key, name: name, flag: flag, mark: mark, into: &batch, scratch: &scratch)
                continue
            }
            at = afterName
            rows += 1
            let here = RowLocator(row: rows)
            guard let key, let name else {
                let nameBytes = name.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
                if let key {
                    try withKeyText(UnsafeRawBufferPointer(rebasing: bytes[key]), scratch: &scratch) {
                        batch.skip(.null, raw: nil, key: $0, name: nameBytes, at: here)
                    }
                } else {
                    batch.skip(.null, raw: nil, key: nil, name: nameBytes, at: here)
                }
                continue
            }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[name])
            try withKeyText(UnsafeRawBufferPointer(rebasing: bytes[key]), scratch: &scratch) {
                batch.appendIfValid(key: $0, name: nameBytes, at: here)
            }
        }
        return at
    }

    /// One delta row: NULL key a NULL skip, NULL flag false, a flag of other than one byte an error.
    private func deltaRow(
        _ bytes: UnsafeRawBufferPointer, key: Range<Int>?, name: Range<Int>?, flag: Range<Int>?, mark: Range<Int>?,
        into batch: inout RowBatch, scratch: inout (UInt64, UInt64, UInt64)
    ) throws {
        let here = RowLocator(row: rows)
        guard let key else {
            batch.skip(.null, raw: nil, name: name.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }, at: here)
            return
        }
        var deleted = false
        if let flag {
            guard flag.count == 1 else { throw Self.failure("a deleted flag of \(flag.count) bytes, not a bool") }
            deleted = bytes[flag.lowerBound] != 0
        }
        let nameBytes = name.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
        let markBytes = mark.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
        try withKeyText(UnsafeRawBufferPointer(rebasing: bytes[key]), scratch: &scratch) {
            batch.appendDelta(key: $0, name: nameBytes, deleted: deleted, watermark: markBytes, at: here)
        }
    }

    /// Calls `body` with the key as text: a text key as it is, an int8's 8 bytes as their
    /// canonical decimal text (written into `scratch`).
    @inline(__always)
    private func withKeyText(
        _ key: UnsafeRawBufferPointer, scratch: inout (UInt64, UInt64, UInt64), _ body: (UnsafeRawBufferPointer) -> Void
    ) throws {
        switch keyType {
        case .text:
            body(key)
        case .int8:
            guard key.count == 8 else { throw Self.failure("an int8 key of \(key.count) bytes, not 8") }
            let value = Int64(bigEndian: key.loadUnaligned(as: Int64.self))
            withUnsafeMutableBytes(of: &scratch) { text in
                let length = CanonicalInteger.write(value, into: text)
                body(UnsafeRawBufferPointer(rebasing: text[0..<length]))
            }
        }
    }

    /// The header's end, or nil when `bytes` does not hold all of it yet.
    private func header(_ bytes: UnsafeRawBufferPointer) throws -> Int? {
        let fixed = Self.signature.count + 8
        guard bytes.count >= Self.signature.count else {
            guard bytes.elementsEqual(Self.signature.prefix(bytes.count)) else { throw Self.failure("not PostgreSQL's binary COPY format") }
            return nil
        }
        guard bytes.prefix(Self.signature.count).elementsEqual(Self.signature) else {
            throw Self.failure("not PostgreSQL's binary COPY format")
        }
        guard bytes.count >= fixed else { return nil }
        let flags = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: Self.signature.count, as: UInt32.self))
        guard flags & (1 << 16) == 0 else { throw Self.failure("a COPY stream with OIDs, which the statement does not ask for") }
        let extensionLength = Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: Self.signature.count + 4, as: Int32.self))
        guard extensionLength >= 0, Int(extensionLength) <= maximumFieldBytes else {
            throw Self.failure("a COPY header extension of \(extensionLength) bytes")
        }
        guard bytes.count >= fixed + Int(extensionLength) else { return nil }
        return fixed + Int(extensionLength)
    }

    /// One column at `at`: its byte range (nil: NULL) and where the next begins; nil when `bytes`
    /// does not hold all of it yet.
    private func field(_ bytes: UnsafeRawBufferPointer, at: Int) throws -> (Range<Int>?, Int)? {
        guard at + 4 <= bytes.count else { return nil }
        let length = Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int32.self))
        if length == -1 { return (nil, at + 4) }
        guard length >= 0, Int(length) <= maximumFieldBytes else {
            throw Self.failure("a column of field length \(length) bytes (the most accepted is \(maximumFieldBytes))")
        }
        let end = at + 4 + Int(length)
        guard end <= bytes.count else { return nil }
        return (at + 4..<end, end)
    }

    private static func failure(_ message: String) -> SourceError {
        SourceError(code: .io, message: "PostgreSQL sent \(message)")
    }
}
