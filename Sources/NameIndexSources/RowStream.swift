import NameIndexCore

/// Bytes in, batches of rows out: a parser plus the batch it fills.
///
/// The file and command sources feed it whatever they read; it hands a batch
/// on whenever one is full, so memory stays bounded whatever the input's size.
///
/// A program's output may begin with text that is not data: beeline writes its prompt
/// (`0: jdbc:hive2://host:10000> `) on standard output just before the first row. So the
/// first line is read on its own (held until its line end, at most `max_line_bytes`):
/// - with a ``Preamble/pattern``, what the pattern matches at its start is dropped;
/// - with ``Preamble/detects`` (command sources), a first line that is not like the rows
///   after it is reported in the first batch's ``RowBatch/notices``: one that could not be
///   read as a row while the rest could, or a first key unlike the keys after it (see
///   ``RowStream/looksUnlike(_:others:)``), which is then skipped as malformed rather than
///   served.
struct RowStream {
    /// How the start of the output is treated.
    struct Preamble {
        /// `drop_prefix`: what it matches at the start of the first line is dropped.
        var pattern: Regex<AnyRegexOutput>?
        /// Whether a first line unlike the rest is reported (and a first key unlike the rest skipped).
        var detects = false

        static var none: Preamble { Preamble() }
    }

    private var parser: FileParser
    private var batch: RowBatch
    private let batchRows: Int
    /// Names the input in error messages (a path, a command).
    private let label: String
    private let preamble: Preamble
    private let hasHeader: Bool
    private let maximumLineBytes: Int
    /// The first line while it is held; nil once it has gone to the parser.
    private var firstLine: [UInt8]? = []
    /// What the first line gave: a row, a skip of this reason, or nothing yet.
    private var firstLineRows = 0
    private var firstLineMalformed = false
    private var prefixDropped = false
    private var inspected = false

    /// How many rows after the first are compared with it.
    static let comparedRows = 1000

    /// The file read, named in the skipped rows' locations; nil for a command's output.
    private let input: String?

    init(format: RowFormat, batchRows: Int, label: String, input: String? = nil, preamble: Preamble = .none, delta: Bool = false) {
        self.input = input
        self.parser = format.makeParser(delta: delta)
        self.batchRows = batchRows
        self.batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows)
        self.label = label
        self.preamble = preamble
        self.hasHeader = format.header && format.format != .ndjson
        self.maximumLineBytes = format.maximumLineBytes
        if preamble.pattern == nil && !preamble.detects { firstLine = nil }
    }

    /// Parses `bytes`; returns a full batch to hand on, if one is full.
    mutating func parse(_ bytes: UnsafeRawBufferPointer) throws -> RowBatch? {
        var rest = bytes
        if firstLine != nil {
            if let end = bytes.firstIndex(of: 0x0A) {
                firstLine!.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<(end + 1)]))
                rest = UnsafeRawBufferPointer(rebasing: bytes[(end + 1)...])
                try parseFirstLine()
            } else {
                firstLine!.append(contentsOf: bytes)
                guard firstLine!.count > maximumLineBytes else { return nil }
                try parseFirstLine()  // too long to be a prompt: the parser skips it as any other
                rest = UnsafeRawBufferPointer(start: nil, count: 0)
            }
        }
        try feed(rest)
        guard batch.count + batch.skipped.total >= batchRows else { return nil }
        // The first batch waits for the rows its first line is compared with, so that the
        // verdict does not depend on how the output was cut into reads.
        guard !inspects || batch.count > Self.comparedRows else { return nil }
        inspectFirstBatch()
        defer { batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows) }
        return stamped(batch)
    }

    /// `batch` with its skipped rows marked with the file they came from.
    private func stamped(_ batch: RowBatch) -> RowBatch {
        guard let input, !batch.skippedRows.isEmpty else { return batch }
        var batch = batch
        for i in batch.skippedRows.indices { batch.skippedRows[i].input = input }
        return batch
    }

    mutating func finish(deliver: (RowBatch) async throws -> Void) async throws {
        if let last = try finish() { try await deliver(last) }
    }

    /// Parses what is left; returns the last batch, unless it holds nothing at all.
    mutating func finish() throws -> RowBatch? {
        if firstLine != nil { try parseFirstLine() }
        do {
            try parser.finish(into: &batch)
        } catch let error as DelimitedParser.HeaderError {
            throw SourceError(code: .invalidConfiguration, message: "\(label): \(error)", underlying: error)
        }
        inspectFirstBatch()
        defer { batch = RowBatch() }
        return !batch.isEmpty || !batch.notices.isEmpty ? stamped(batch) : nil
    }

    private mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        do {
            try parser.feed(bytes, into: &batch)
        } catch let error as DelimitedParser.HeaderError {
            throw SourceError(code: .invalidConfiguration, message: "\(label): \(error)", underlying: error)
        }
    }

    /// Drops the configured prefix from the held first line and parses it alone. A first line
    /// longer than `max_line_bytes` keeps its prefix (it is skipped as too long), however the
    /// reads cut it: the verdict depends on its bytes only.
    private mutating func parseFirstLine() throws {
        guard var line = firstLine else { return }
        firstLine = nil
        let withinLimit = line.count <= maximumLineBytes + (line.last == 0x0A ? 1 : 0)
        if withinLimit, let pattern = preamble.pattern, let text = String(validating: line, as: UTF8.self),
            let match = try? pattern.prefixMatch(in: text), !match.range.isEmpty
        {
            line.removeFirst(text[..<match.range.upperBound].utf8.count)
            prefixDropped = true
        }
        let rows = batch.count
        let malformed = batch.skipped.malformed
        try line.withUnsafeBytes { try feed($0) }
        firstLineRows = batch.count - rows
        firstLineMalformed = batch.skipped.malformed > malformed
    }

    /// Whether the first batch is still to be looked at.
    private var inspects: Bool { !inspected && preamble.detects && !prefixDropped && !hasHeader }

    /// Looks at the first batch once: is its first line like the rest?
    private mutating func inspectFirstBatch() {
        guard inspects else {
            inspected = true
            return
        }
        inspected = true
        let advice = preamble.pattern == nil
            ? "set drop_prefix to a pattern of the text before the data (see nameindexd.toml(5))"
            : "drop_prefix did not match it"
        if firstLineMalformed, batch.skipped.malformed == 1, batch.count > 0 {
            batch.notices.append(
                "\(label): the first line of the output could not be read as a row, though the \(batch.count) after it could: "
                    + "a prompt or banner printed before the data? It was skipped (counted as malformed); \(advice).")
            return
        }
        guard firstLineRows == 1, batch.count > 1 else { return }
        let compared = min(batch.count - 1, Self.comparedRows)
        let unlike: String? = batch.withKeys(upTo: compared + 1) { keys in
            Self.looksUnlike(keys[0], others: keys.dropFirst()) ? String(decoding: keys[0].prefix(120), as: UTF8.self) : nil
        }
        guard let shown = unlike else { return }
        let first: [UInt8] = batch.withKeys(upTo: 1) { Array($0[0]) }
        batch.removeFirstRow()
        first.withUnsafeBytes { batch.skip(.malformed, raw: $0, key: $0, at: RowLocator(line: 1, offset: 0)) }
        batch.notices.append(
            "\(label): the first row's key '\(shown)' is unlike the \(compared) keys after it: "
                + "a prompt or banner printed before the data? It was skipped (counted as malformed); \(advice).")
    }

    /// Whether `first` is unlike `others` in the way a prompt glued to a key is: it holds `> `
    /// and none of them does, or every one of them is a canonical integer and it is not, though it
    /// ends in a digit.
    static func looksUnlike(_ first: UnsafeRawBufferPointer, others: ArraySlice<UnsafeRawBufferPointer>) -> Bool {
        guard !others.isEmpty else { return false }
        func holdsPrompt(_ key: UnsafeRawBufferPointer) -> Bool {
            guard key.count >= 2 else { return false }
            for i in 0..<(key.count - 1) where key[i] == 0x3E && key[i + 1] == 0x20 { return true }
            return false
        }
        if holdsPrompt(first) && !others.contains(where: holdsPrompt) { return true }
        guard CanonicalInteger.parse(first) == nil, let last = first.last, (0x30...0x39).contains(last) else { return false }
        return others.allSatisfy { CanonicalInteger.parse($0) != nil }
    }
}
