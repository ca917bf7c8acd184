#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NameIndexCore

/// Turns tab-separated bytes into rows, fed in chunks of any size.
///
/// Each line is `key<TAB>name[<TAB>more columns…]`, ended by LF or CRLF; the
/// last line may lack its end. Blank lines are ignored. A line without a tab is
/// skipped as malformed, one with an empty key or name as empty, one whose key
/// or name is not UTF-8 as invalid; each is counted and none stops the parse.
/// A UTF-8 byte-order mark at the very start is dropped. With `header`, the
/// first line is a header and is not loaded.
///
/// A pure state machine: no I/O, so every edge is testable with byte strings.
public struct TSVParser {
    private var pendingHeader: Bool
    private var firstLine = true
    private var carry: [UInt8] = []

    public init(header: Bool = false) {
        self.pendingHeader = header
    }

    /// Parses the complete lines in `chunk`, keeping a trailing partial line for later.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, into batch: inout RowBatch) {
        guard let base = chunk.baseAddress, !chunk.isEmpty else { return }
        var lineStart = 0
        let n = chunk.count
        while lineStart < n, let hit = memchr(base + lineStart, 0x0A, n - lineStart) {
            let end = base.distance(to: UnsafeRawPointer(hit))
            let piece = UnsafeRawBufferPointer(rebasing: chunk[lineStart..<end])
            if carry.isEmpty {
                line(piece, into: &batch)
            } else {
                carry.append(contentsOf: piece)
                let joined = carry
                carry.removeAll(keepingCapacity: true)
                joined.withUnsafeBytes { line($0, into: &batch) }
            }
            lineStart = end + 1
        }
        if lineStart < n {
            carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[lineStart..<n]))
        }
    }

    /// Parses whatever is left as the last line (one without a line end).
    public mutating func finish(into batch: inout RowBatch) {
        guard !carry.isEmpty else { return }
        let rest = carry
        carry.removeAll()
        rest.withUnsafeBytes { line($0, into: &batch) }
    }

    /// Bytes held back waiting for the end of their line.
    public var bufferedByteCount: Int { carry.count }

    private mutating func line(_ raw: UnsafeRawBufferPointer, into batch: inout RowBatch) {
        var line = raw
        if firstLine {
            firstLine = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = UnsafeRawBufferPointer(rebasing: line.dropFirst(3)) }
        }
        if let last = line.last, last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        if pendingHeader {
            pendingHeader = false
            return
        }
        if line.isEmpty { return }
        guard let tab = line.firstIndex(of: 0x09) else {
            batch.skipped.malformed += 1
            return
        }
        let key = UnsafeRawBufferPointer(rebasing: line[..<tab])
        let rest = line[(tab + 1)...]
        let nameEnd = rest.firstIndex(of: 0x09) ?? line.endIndex
        let name = UnsafeRawBufferPointer(rebasing: line[(tab + 1)..<nameEnd])
        if key.isEmpty || name.isEmpty {
            batch.skipped.empty += 1
            return
        }
        guard UTF8Validation.isValid(key), UTF8Validation.isValid(name) else {
            batch.skipped.invalidUTF8 += 1
            return
        }
        batch.append(key: key, name: name)
    }
}
