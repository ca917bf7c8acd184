import Logging
import NameIndexCore
import NameIndexProtocol
import NameIndexSources

/// The result of fetching one source.
struct SourceOutcome: Sendable {
    let source: String
    /// The freshly built table; nil when the fetch failed.
    var table: KeyTable?
    var skipped = SkipCounts()
    /// The first `skipped_sample` rows skipped, in partition order.
    var skippedRows: [SkippedRow] = []
    /// The first `skipped_sample` keys of the source that an earlier source of its namespace
    /// holds too, in the generation this load built (set for every source, fetched or not).
    var shadowedRows: [SkippedRow] = []
    /// Why the fetch failed, for people; nil on success.
    var error: String?
    var duration: Duration = .zero
    /// False for a source this load did not fetch (a reload of other sources): its table carries over.
    var fetched = true
    /// The change check's value, read just before the fetch; nil without a check (or when it failed).
    var checkValue: String?
    /// A partition failed because what the partitions share (a snapshot) is gone: worth one
    /// more fetch of the whole source.
    var sharedStateLost = false
    /// A source with deltas: the watermark its deltas start from, read with the load
    /// (`watermark_query`); nil when it gave none.
    var watermark: String?
    /// Why it failed, for the metrics; nil with no error (an error without one is the fetch's).
    var failure: MetricEvents.FailureReason?
}

/// Rows a fetch skipped: their counts by reason, and the first `limit` of them.
struct SkipTally: Sendable {
    var counts = SkipCounts()
    var rows: [SkippedRow] = []
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Adds what `batch` skipped; its rows are marked with `partition` when there are several.
    mutating func add(_ batch: RowBatch, partition: Partition?) {
        counts += batch.skipped
        guard rows.count < limit else { return }
        for var row in batch.skippedRows.prefix(limit - rows.count) {
            if let partition, partition.count > 1 { row.partition = partition.index }
            rows.append(row)
        }
    }

    /// Adds another partition's tally after this one's.
    mutating func add(_ other: SkipTally) {
        counts += other.counts
        rows += other.rows.prefix(max(0, limit - rows.count))
    }
}
