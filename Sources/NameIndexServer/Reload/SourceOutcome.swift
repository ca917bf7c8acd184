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
