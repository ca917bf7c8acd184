#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream at LF into lines, carrying a partial line between chunks.
///
/// A line longer than `maximumLineBytes` (not counting its LF) is never held in memory:
/// its bytes are dropped as they arrive and it is passed on as ``Piece/tooLong(quotes:)``,
/// once, with the number of `"` bytes it held (so a CSV parser can keep track of quoted
/// fields across it). The carry never grows past the limit, whatever the input.
struct LineSplitter {
    enum Piece {
        case line(UnsafeRawBufferPointer)
        /// A line over the limit, dropped; `quotes` counts its `"` bytes.
        case tooLong(quotes: Int)
    }

    /// The default for `max_line_bytes`: 1 MiB.
    static let defaultMaximumLineBytes = 1 << 20

    let maximumLineBytes: Int
    private var carry: [UInt8] = []
    /// Inside a line already found too long: its bytes are dropped up to its LF.
    private var dropping = false
    private var droppedQuotes = 0
    private var first = true

    init(maximumLineBytes: Int = LineSplitter.defaultMaximumLineBytes) {
        self.maximumLineBytes = maximumLineBytes
    }

    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (Piece) throws -> Void) rethrows {
        guard let base = chunk.baseAddress, !chunk.isEmpty else { return }
        var start = 0
        let n = chunk.count
        while start < n, let hit = memchr(base + start, 0x0A, n - start) {
            let end = base.distance(to: UnsafeRawPointer(hit))
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<end])
            start = end + 1
            if dropping || carry.count + piece.count > maximumLineBytes {
                drop(piece)
                try endDropped(body)
            } else if carry.isEmpty {
                try emit(piece, body)
            } else {
                carry.append(contentsOf: piece)
                // Hand the joined line on without a copy, and keep the capacity for the next one.
                var joined: [UInt8] = []
                swap(&joined, &carry)
                try joined.withUnsafeBytes { try emit($0, body) }
                joined.removeAll(keepingCapacity: true)
                swap(&joined, &carry)
            }
        }
        guard start < n else { return }
        let rest = UnsafeRawBufferPointer(rebasing: chunk[start..<n])
        if dropping || carry.count + rest.count > maximumLineBytes {
            drop(rest)
        } else {
            carry.append(contentsOf: rest)
        }
    }

    mutating func finish(_ body: (Piece) throws -> Void) rethrows {
        if dropping { return try endDropped(body) }
        guard !carry.isEmpty else { return }
        let rest = carry
        carry = []
        try rest.withUnsafeBytes { try emit($0, body) }
    }

    /// Drops what was carried of the current line and `bytes`, counting their quotes.
    private mutating func drop(_ bytes: UnsafeRawBufferPointer) {
        if !dropping {
            dropping = true
            droppedQuotes = Self.quotes(in: carry.withUnsafeBytes { $0 })
            carry = []  // give the memory back: the limit may be large
        }
        droppedQuotes += Self.quotes(in: bytes)
    }

    private mutating func endDropped(_ body: (Piece) throws -> Void) rethrows {
        dropping = false
        first = false
        let quotes = droppedQuotes
        droppedQuotes = 0
        try body(.tooLong(quotes: quotes))
    }

    static func quotes(in bytes: UnsafeRawBufferPointer) -> Int {
        var count = 0
        for byte in bytes where byte == 0x22 { count += 1 }
        return count
    }

    /// Passes a line on, without the UTF-8 byte-order mark if it is the first and has one.
    private mutating func emit(_ line: UnsafeRawBufferPointer, _ body: (Piece) throws -> Void) rethrows {
        if first {
            first = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { return try body(.line(UnsafeRawBufferPointer(rebasing: line.dropFirst(3)))) }
        }
        try body(.line(line))
    }
}
