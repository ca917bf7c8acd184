/// The rows of one delta, gathered as they stream in and reduced to one entry per key: the
/// row with the largest watermark (``Watermark/compare(_:_:)``), the later row on a tie, as
/// a ``KeyTable`` whose empty names are tombstones, for ``Index/applying(delta:toSource:watermark:generation:createdAtMicroseconds:)``.
public struct DeltaCollector: Sendable {
    private var rows = RowBatch()
    /// Rows read but not kept, by reason.
    public private(set) var skipped = SkipCounts()
    /// The largest watermark the rows carried.
    public private(set) var maximumWatermark: String?

    public init() {}

    /// Rows kept so far (before the reduction to one per key).
    public var count: Int { rows.count }
    /// Bytes of keys, names and watermarks held.
    public var byteCount: Int { rows.byteCount }

    public mutating func add(_ batch: RowBatch) {
        skipped += batch.skipped
        if let mark = batch.maximumWatermark {
            maximumWatermark = Watermark.later(maximumWatermark, String(decoding: mark, as: UTF8.self))
        }
        rows.appendRows(of: batch)
    }

    /// Every row kept, in arrival order, as text: key, name (empty: a tombstone), watermark
    /// (empty: none); for tests and diagnostics.
    public var rowTexts: [[String]] {
        var texts: [[String]] = []
        rows.forEachDeltaRow { key, name, watermark in texts.append([key, name, watermark].map { String(decoding: $0, as: UTF8.self) }) }
        return texts
    }

    /// The latest row of each key, as a table.
    ///
    /// - Throws: ``KeyTableError`` when memory cannot be had.
    public func table() throws -> KeyTable {
        let builder = KeyTableBuilder()
        try rows.withDeltaRows { keyed in
            // Latest first (the builder keeps the first row of a key): by watermark, then by arrival.
            let order = keyed.indices.sorted { i, j in
                let c = Watermark.compare(keyed[i].watermark, keyed[j].watermark)
                return c != 0 ? c > 0 : i > j
            }
            for i in order { try builder.insert(key: keyed[i].key, name: keyed[i].name) }
        }
        return try builder.finish()
    }
}
