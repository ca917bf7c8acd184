import NameIndexCore

/// Bytes in, batches of rows out: a parser plus the batch it fills.
///
/// The file and command sources feed it whatever they read; it hands a batch
/// on whenever one is full, so memory stays bounded whatever the input's size.
struct RowStream {
    private var parser: FileParser
    private var batch: RowBatch
    private let batchRows: Int
    /// Names the input in error messages (a path, a command).
    private let label: String

    init(format: RowFormat, batchRows: Int, label: String) {
        self.parser = format.makeParser()
        self.batchRows = batchRows
        self.batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows)
        self.label = label
    }

    /// Parses `bytes`; returns a full batch to hand on, if one is full.
    mutating func parse(_ bytes: UnsafeRawBufferPointer) throws -> RowBatch? {
        do {
            try parser.feed(bytes, into: &batch)
        } catch let error as DelimitedParser.HeaderError {
            throw SourceError(code: .invalidConfiguration, message: "\(label): \(error)", underlying: error)
        }
        guard batch.count + batch.skipped.total >= batchRows else { return nil }
        defer { batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows) }
        return batch
    }

    mutating func finish(deliver: (RowBatch) async throws -> Void) async throws {
        do {
            try parser.finish(into: &batch)
        } catch let error as DelimitedParser.HeaderError {
            throw SourceError(code: .invalidConfiguration, message: "\(label): \(error)", underlying: error)
        }
        if !batch.isEmpty { try await deliver(batch) }
        batch = RowBatch()
    }
}
