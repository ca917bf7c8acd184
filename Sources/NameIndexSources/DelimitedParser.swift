#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NameIndexCore

/// Turns tab- or comma-separated bytes into rows, fed in chunks of any size.
///
/// - TSV: fields end at a tab, records at LF or CRLF; no quoting.
/// - CSV (RFC 4180): fields end at a comma, records at LF or CRLF outside
///   quotes; a field may be quoted with `"`, contain commas and line breaks,
///   and `""` inside quotes is one quote. A quote inside an unquoted field, text
///   after a closing quote, or a quote left open at the end make the record
///   malformed.
///
/// The key and the name come from the configured columns (1-based, or by name
/// from the header line); other columns are ignored. Blank records are
/// ignored. A record without the key or name column is skipped as malformed,
/// one with an empty key or name as empty, one whose key or name is not UTF-8
/// as invalid; each is counted and none stops the parse. A UTF-8 byte-order
/// mark at the very start is dropped.
///
/// With a `nullValue`, a key or name field that is exactly that text is NULL: the row is
/// skipped and counted as NULL. In CSV only an unquoted field matches (as in PostgreSQL's
/// `COPY … NULL`), so a quoted `"NULL"` stays a name.
///
/// A record longer than `maximumLineBytes` (a CSV record with a quoted line break: all
/// its lines together, so a quote left open counts from where it opened) is skipped as too
/// long, and is never held in memory: its bytes are dropped as they come.
///
/// A pure state machine: no I/O, so every edge is testable with byte strings.
public struct DelimitedParser {
    public enum Format: String, Sendable, CaseIterable {
        case tsv, csv
    }

    /// Where a field is: its position (1-based) or its name in the header line.
    public enum Column: Equatable, Sendable, CustomStringConvertible {
        case number(Int)
        case name(String)

        public var description: String {
            switch self {
            case .number(let n): "column \(n)"
            case .name(let s): "column '\(s)'"
            }
        }
    }

    /// The header does not name a configured column, or is too long to read.
    public struct HeaderError: Error, Equatable, CustomStringConvertible {
        public var column: String
        public var header: [String]
        /// Set when the header line was longer than `max_line_bytes` (this many bytes).
        public var lineLimit: Int?

        public init(column: String, header: [String], lineLimit: Int? = nil) {
            self.column = column
            self.header = header
            self.lineLimit = lineLimit
        }

        public var description: String {
            if let lineLimit { return "the header line is longer than max_line_bytes (\(lineLimit) bytes)" }
            return "column '\(column)' is not in the header (\(header.joined(separator: ", ")))"
        }
    }

    private let format: Format
    private let separator: UInt8
    private var pendingHeader: Bool
    private let keyColumn: Column
    private let nameColumn: Column
    private var keyIndex: Int?
    private var nameIndex: Int?
    private var lines: LineSplitter
    private let maximumLineBytes: Int
    /// CSV: the lines of a record whose quoted field is still open.
    private var carry: [UInt8] = []
    /// Quote characters in `carry`: a CSV record is complete only when even.
    private var carryQuotes = 0
    /// CSV: inside a record already skipped as too long, until its quotes close.
    private var dropping = false
    /// Where the record in `carry` (or being dropped) began.
    private var carryStart = RowLocator.none
    private var scratch: [UInt8] = []
    /// The text that means NULL; nil: none does.
    private let nullValue: [UInt8]?
    /// Whether the two fields the last ``splitFields(_:first:second:)`` found were quoted.
    private var quoted = (first: false, second: false)
    /// Rows of a delta (`delta_command`): key, name, deleted flag and watermark, the first four
    /// columns whatever `key_column` and `name_column` say.
    private let delta: Bool

    /// - Precondition: columns given by name need `header`.
    public init(
        format: Format, header: Bool = false, keyColumn: Column = .number(1), nameColumn: Column = .number(2),
        maximumLineBytes: Int = RowFormat.defaultMaximumLineBytes, nullValue: String? = nil, delta: Bool = false
    ) {
        self.delta = delta
        self.nullValue = nullValue.map { Array($0.utf8) }
        self.lines = LineSplitter(maximumLineBytes: maximumLineBytes)
        self.maximumLineBytes = maximumLineBytes
        self.format = format
        self.separator = format == .tsv ? 0x09 : 0x2C
        self.pendingHeader = header
        self.keyColumn = keyColumn
        self.nameColumn = nameColumn
        if case .number(let n) = keyColumn { keyIndex = n - 1 }
        if case .number(let n) = nameColumn { nameIndex = n - 1 }
    }

    /// Parses the complete records in `chunk`, keeping a trailing partial one for later.
    ///
    /// - Throws: ``HeaderError`` when the header lacks a column named in the configuration.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, into batch: inout RowBatch) throws {
        // The splitter is moved out, not copied, so its carry is never copied on write.
        var splitter = LineSplitter(maximumLineBytes: 0)
        swap(&splitter, &lines)
        defer { swap(&splitter, &lines) }
        try splitter.feed(chunk) { piece, at in try physicalLine(piece, at: at, into: &batch) }
    }

    /// Parses whatever is left as the last record (one without a line end).
    public mutating func finish(into batch: inout RowBatch) throws {
        var splitter = LineSplitter(maximumLineBytes: 0)
        swap(&splitter, &lines)
        defer { swap(&splitter, &lines) }
        try splitter.finish { piece, at in try physicalLine(piece, at: at, into: &batch) }
        dropping = false
        if !carry.isEmpty {
            // A quoted field never closed: the rest is one malformed record.
            let rest = carry
            carry.removeAll()
            carryQuotes = 0
            try rest.withUnsafeBytes { try record($0, at: carryStart, into: &batch) }
        }
    }


    /// One line as the splitter cut it; in CSV, lines are joined while a quoted field is open.
    private mutating func physicalLine(_ piece: LineSplitter.Piece, at position: LineSplitter.Position, into batch: inout RowBatch) throws {
        let line: UnsafeRawBufferPointer
        let quotes: Int
        let here = RowLocator(line: position.line, offset: position.offset)
        switch piece {
        case .line(let bytes):
            line = bytes
            quotes = format == .csv ? LineSplitter.quotes(in: bytes) : 0
            guard dropping || carry.isEmpty || carry.count + line.count <= maximumLineBytes else {
                return skipTooLong(adding: quotes, head: [], into: &batch)
            }
        case .tooLong(let dropped, let head):
            if pendingHeader { throw HeaderError(column: "", header: [], lineLimit: maximumLineBytes) }
            guard format == .csv else {
                head.withUnsafeBytes { batch.skip(.tooLong, raw: $0, at: here) }
                return
            }
            if carry.isEmpty && !dropping { carryStart = here }
            return skipTooLong(adding: dropped, head: head, into: &batch)
        }
        guard format == .csv else { return try record(line, at: here, into: &batch) }
        if dropping {
            // The rest of a record skipped as too long: it ends where its quotes close.
            carryQuotes += quotes
            if carryQuotes % 2 == 0 {
                dropping = false
                carryQuotes = 0
            }
            return
        }
        if carry.isEmpty && quotes % 2 == 0 { return try record(line, at: here, into: &batch) }
        if carry.isEmpty { carryStart = here }
        carry.append(contentsOf: line)
        carryQuotes += quotes
        if carryQuotes % 2 == 1 {
            carry.append(0x0A)  // the line break belongs to the open field
            return
        }
        let joined = carry
        carry.removeAll(keepingCapacity: true)
        carryQuotes = 0
        try joined.withUnsafeBytes { try record($0, at: carryStart, into: &batch) }
    }

    /// Counts the record being read (or carried) as too long, once, and drops it; in CSV the
    /// record goes on, dropped, while its quotes (with `quotes` more) are open.
    private mutating func skipTooLong(adding quotes: Int, head: [UInt8], into batch: inout RowBatch) {
        if !dropping {
            // Shown by what was carried of it, or else by the start of the line dropped.
            if carry.isEmpty {
                head.withUnsafeBytes { batch.skip(.tooLong, raw: $0, at: carryStart) }
            } else {
                carry.withUnsafeBytes { batch.skip(.tooLong, raw: UnsafeRawBufferPointer(rebasing: $0.prefix(SkippedRow.maximumRawBytes)), at: carryStart) }
            }
        }
        carryQuotes += quotes
        carry = []
        dropping = carryQuotes % 2 == 1
        if !dropping { carryQuotes = 0 }
    }

    private mutating func record(_ raw: UnsafeRawBufferPointer, at locator: RowLocator, into batch: inout RowBatch) throws {
        var line = raw
        if let last = line.last, last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        if pendingHeader {
            pendingHeader = false
            try resolveColumns(header: line)
            return
        }
        if line.isEmpty { return }
        guard let keyIndex, let nameIndex else { return }
        scratch.removeAll(keepingCapacity: true)
        if delta { return deltaRecord(line, at: locator, into: &batch) }
        guard let (key, name) = splitFields(line, first: keyIndex, second: nameIndex) else {
            batch.skip(.malformed, raw: line, at: locator)
            return
        }
        scratch.withUnsafeBytes { unescaped in
            let keyBytes = key.bytes(line, unescaped)
            let nameBytes = name.bytes(line, unescaped)
            if let nullValue,
                (!quoted.first && keyBytes.elementsEqual(nullValue)) || (!quoted.second && nameBytes.elementsEqual(nullValue))
            {
                batch.skip(.null, raw: line, key: keyBytes, at: locator)
            } else {
                batch.appendIfValid(key: keyBytes, name: nameBytes, raw: line, at: locator)
            }
        }
    }

    /// A delta's record: the key and name as a load reads them, then the deleted flag (empty or
    /// NULL: false) and the watermark (empty or NULL: none); a flag that is neither true nor false
    /// makes the row malformed.
    private mutating func deltaRecord(_ line: UnsafeRawBufferPointer, at locator: RowLocator, into batch: inout RowBatch) {
        guard let (key, name) = splitFields(line, first: 0, second: 1) else {
            batch.skip(.malformed, raw: line, at: locator)
            return
        }
        let nameQuoted = quoted
        guard let (flag, mark) = splitFields(line, first: 2, second: 3) else {
            batch.skip(.malformed, raw: line, at: locator)
            return
        }
        let markQuoted = quoted
        scratch.withUnsafeBytes { unescaped in
            func isNull(_ bytes: UnsafeRawBufferPointer, quoted: Bool) -> Bool {
                !quoted && nullValue.map { bytes.elementsEqual($0) } == true
            }
            let keyBytes = key.bytes(line, unescaped)
            let nameBytes = name.bytes(line, unescaped)
            let flagBytes = flag.bytes(line, unescaped)
            let markBytes = mark.bytes(line, unescaped)
            guard !isNull(keyBytes, quoted: nameQuoted.first) else {
                batch.skip(.null, raw: line, at: locator)
                return
            }
            guard let deleted = isNull(flagBytes, quoted: markQuoted.first) ? false : Watermark.isDeleted(flagBytes) else {
                batch.skip(.malformed, raw: line, key: keyBytes, at: locator)
                return
            }
            batch.appendDelta(
                key: keyBytes, name: isNull(nameBytes, quoted: nameQuoted.second) ? nil : nameBytes, deleted: deleted,
                watermark: isNull(markBytes, quoted: markQuoted.second) || markBytes.isEmpty ? nil : markBytes,
                raw: line, at: locator)
        }
    }

    /// The ranges of fields `first` and `second` (0-based); nil when the record is malformed or short.
    /// (Two fields, not a list: this runs once per row and must not allocate.)
    private mutating func splitFields(_ line: UnsafeRawBufferPointer, first: Int, second: Int) -> (FieldBytes, FieldBytes)? {
        var firstField: FieldBytes?
        var secondField: FieldBytes?
        let last = max(first, second)
        var index = 0
        var position = 0
        let n = line.count
        quoted = (false, false)
        while index <= last {
            var field: FieldBytes
            let isQuoted = format == .csv && position < n && line[position] == 0x22
            if isQuoted {
                // Quoted: up to the closing quote; "" is a quote. Copied out only if it has one.
                var i = position + 1
                var start = i
                var copied: Int?
                while true {
                    guard i < n else { return nil }  // quote left open
                    if line[i] == 0x22 {
                        if i + 1 < n && line[i + 1] == 0x22 {
                            if copied == nil { copied = scratch.count }
                            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[start...i]))
                            i += 2
                            start = i
                            continue
                        }
                        break
                    }
                    i += 1
                }
                if let begin = copied {
                    scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[start..<i]))
                    field = .decoded(begin..<scratch.count)
                } else {
                    field = .inLine(start..<i)
                }
                position = i + 1
                if position < n && line[position] != separator { return nil }  // text after the closing quote
            } else {
                var end = position
                while end < n && line[end] != separator {
                    if format == .csv && line[end] == 0x22 { return nil }  // a quote inside an unquoted field
                    end += 1
                }
                field = .inLine(position..<end)
                position = end
            }
            if index == first {
                firstField = field
                quoted.first = isQuoted
            }
            if index == second {
                secondField = field
                quoted.second = isQuoted
            }
            index += 1
            if index <= last {
                guard position < n else { return nil }  // fewer columns than needed
                position += 1  // past the separator
            }
        }
        guard let firstField, let secondField else { return nil }
        return (firstField, secondField)
    }

    private mutating func resolveColumns(header line: UnsafeRawBufferPointer) throws {
        var names: [String] = []
        var count = 0
        while true {
            guard let (field, _) = splitFields(line, first: count, second: count) else { break }
            names.append(String(decoding: scratch.withUnsafeBytes { field.bytes(line, $0) }, as: UTF8.self))
            count += 1
        }
        scratch.removeAll(keepingCapacity: true)
        func resolve(_ column: Column) throws -> Int {
            switch column {
            case .number(let n): return n - 1
            case .name(let name):
                guard let i = names.firstIndex(of: name) else { throw HeaderError(column: name, header: names) }
                return i
            }
        }
        keyIndex = try resolve(keyColumn)
        nameIndex = try resolve(nameColumn)
    }
}
