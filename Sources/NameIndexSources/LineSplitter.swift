#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NameIndexCore

/// Splits a byte stream at LF into lines, carrying a partial line between chunks.
///
/// A line longer than `maximumLineBytes` (not counting its LF) is never held in memory:
/// its bytes are dropped as they arrive and it is passed on as ``Piece/tooLong(quotes:)``,
/// once, with the number of `"` bytes it held (so a CSV parser can keep track of quoted
/// fields across it). The carry never grows past the limit, whatever the input.
///
/// Each piece comes with its ``Position``: its line number and the byte offset where it
/// began, counted over everything fed; a dropped line keeps its first
/// ``SkippedRow/maximumRawBytes`` bytes to show.
struct LineSplitter {
    enum Piece {
        case line(UnsafeRawBufferPointer)
        /// A line over the limit, dropped; `quotes` counts its `"` bytes, `head` is its start.
        case tooLong(quotes: Int, head: [UInt8])
    }

    /// Where a piece began: its line (1-based) and the offset of its first byte.
    struct Position: Equatable {
        var line = 0
        var offset = 0
    }

    /// The default for `max_line_bytes`: 1 MiB.
    static let defaultMaximumLineBytes = 1 << 20

    let maximumLineBytes: Int
    private var carry: [UInt8] = []
    /// Inside a line already found too long: its bytes are dropped up to its LF.
    private var dropping = false
    private var droppedQuotes = 0
    private var first = true
    /// Bytes fed before the current chunk.
    private var consumed = 0
    /// Where the line being assembled began.
    private var current = Position(line: 1, offset: 0)
    /// The first bytes of a line being dropped.
    private var droppedHead: [UInt8] = []

    init(maximumLineBytes: Int = LineSplitter.defaultMaximumLineBytes) {
        self.maximumLineBytes = maximumLineBytes
    }

    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (Piece, Position) throws -> Void) rethrows {
        guard let base = chunk.baseAddress, !chunk.isEmpty else { return }
        var start = 0
        let n = chunk.count
        while start < n, let hit = memchr(base + start, 0x0A, n - start) {
            let end = base.distance(to: UnsafeRawPointer(hit))
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<end])
            start = end + 1
            // This line's position, and the next line's from here on (a body that throws ends the parse).
            let position = current
            current = Position(line: position.line + 1, offset: consumed + start)
            if dropping || carry.count + piece.count > maximumLineBytes {
                drop(piece)
                try endDropped(at: position, body)
            } else if carry.isEmpty {
                try emit(piece, at: position, body)
            } else {
                carry.append(contentsOf: piece)
                // Hand the joined line on without a copy, and keep the capacity for the next one.
                var joined: [UInt8] = []
                swap(&joined, &carry)
                try joined.withUnsafeBytes { try emit($0, at: position, body) }
                joined.removeAll(keepingCapacity: true)
                swap(&joined, &carry)
            }
        }
        consumed += n
        guard start < n else { return }
        let rest = UnsafeRawBufferPointer(rebasing: chunk[start..<n])
        if dropping || carry.count + rest.count > maximumLineBytes {
            drop(rest)
        } else {
            carry.append(contentsOf: rest)
        }
    }

    mutating func finish(_ body: (Piece, Position) throws -> Void) rethrows {
        if dropping { return try endDropped(at: current, body) }
        guard !carry.isEmpty else { return }
        let rest = carry
        carry = []
        try rest.withUnsafeBytes { try emit($0, at: current, body) }
    }

    /// Drops what was carried of the current line and `bytes`, counting their quotes.
    private mutating func drop(_ bytes: UnsafeRawBufferPointer) {
        if !dropping {
            dropping = true
            droppedQuotes = Self.quotes(in: carry.withUnsafeBytes { $0 })
            droppedHead = Array(carry.prefix(SkippedRow.maximumRawBytes))
            carry = []  // give the memory back: the limit may be large
        }
        if droppedHead.count < SkippedRow.maximumRawBytes { droppedHead += bytes.prefix(SkippedRow.maximumRawBytes - droppedHead.count) }
        droppedQuotes += Self.quotes(in: bytes)
    }

    private mutating func endDropped(at position: Position, _ body: (Piece, Position) throws -> Void) rethrows {
        dropping = false
        first = false
        let quotes = droppedQuotes
        droppedQuotes = 0
        let head = droppedHead
        droppedHead = []
        try body(.tooLong(quotes: quotes, head: head), position)
    }

    static func quotes(in bytes: UnsafeRawBufferPointer) -> Int {
        var count = 0
        for byte in bytes where byte == 0x22 { count += 1 }
        return count
    }

    /// Passes a line on, without the UTF-8 byte-order mark if it is the first and has one.
    private mutating func emit(_ line: UnsafeRawBufferPointer, at position: Position, _ body: (Piece, Position) throws -> Void) rethrows {
        if first {
            first = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { return try body(.line(UnsafeRawBufferPointer(rebasing: line.dropFirst(3))), position) }
        }
        try body(.line(line), position)
    }
}
