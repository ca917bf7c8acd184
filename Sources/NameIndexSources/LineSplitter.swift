#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream at LF into lines, carrying a partial line between chunks.
struct LineSplitter {
    private var carry: [UInt8] = []
    private var first = true

    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let base = chunk.baseAddress, !chunk.isEmpty else { return }
        var start = 0
        let n = chunk.count
        while start < n, let hit = memchr(base + start, 0x0A, n - start) {
            let end = base.distance(to: UnsafeRawPointer(hit))
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<end])
            start = end + 1
            if carry.isEmpty {
                try emit(piece, body)
            } else {
                carry.append(contentsOf: piece)
                let joined = carry
                carry.removeAll(keepingCapacity: true)
                try joined.withUnsafeBytes { try emit($0, body) }
            }
        }
        if start < n { carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<n])) }
    }

    mutating func finish(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard !carry.isEmpty else { return }
        let rest = carry
        carry.removeAll()
        try rest.withUnsafeBytes { try emit($0, body) }
    }

    /// Passes a line on, without the UTF-8 byte-order mark if it is the first and has one.
    private mutating func emit(_ line: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        if first {
            first = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { return try body(UnsafeRawBufferPointer(rebasing: line.dropFirst(3))) }
        }
        try body(line)
    }
}
