import NameIndexCore
import Prometheus

/// The metrics that count events as they happen (loads, deltas, failures, snapshot writes):
/// one registry that lives as long as the daemon, so its counters and histograms accumulate.
/// What describes the present state (entries, rows, states, ages) is read from Status at each
/// scrape instead (``MetricsReport``). Nothing here is on the lookup path.
public final class MetricEvents: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// Connections of the two sockets.
    public let lookupConnections = ConnectionMeter()
    public let controlConnections = ConnectionMeter()

    /// Fetch durations: 10 ms to 1 h.
    static let fetchBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
    ]
    /// Snapshot writes: 10 ms to 2 min.
    static let snapshotBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(120),
    ]

    public init() {}

    /// Why a source's fetch (or delta) gave it no new rows.
    enum FailureReason: String {
        /// The fetch failed (connection, query, program, timeout, stall).
        case fetch
        /// Its rows failed `min_rows` or `max_shrink`.
        case guardTrip = "guard"
        /// Its watermark could not be read.
        case watermark
        /// A delta failed, or a guard refused it.
        case delta
    }

    /// A full load (or a delta) ended: `trigger` is what asked for it, `outcome` how it ended.
    func reloaded(kind: String, trigger: String, outcome: String) {
        registry.makeCounter(
            name: "nameindex_reloads_total", labels: [("kind", kind), ("trigger", trigger), ("outcome", outcome)],
            help: "Full loads and deltas that ended, by what asked for them and how they ended."
        ).increment()
    }

    /// A source was fetched: how long it took, the rows it skipped by reason, and why it failed.
    func fetched(source: String, duration: Duration, skipped: SkipCountsView, failure: FailureReason?) {
        registry.makeDurationHistogram(
            name: "nameindex_source_fetch_duration_seconds", labels: [("source", source)], buckets: Self.fetchBuckets,
            help: "How long each full fetch of a source took, failed ones included."
        ).record(duration)
        for (reason, count) in skipped.byReason where count > 0 {
            skippedCounter(source, reason).increment(by: Int64(count))
        }
        if let failure { failed(source: source, reason: failure) }
    }

    func failed(source: String, reason: FailureReason) { failureCounter(source, reason).increment() }

    private func failureCounter(_ source: String, _ reason: FailureReason) -> Counter {
        registry.makeCounter(
            name: "nameindex_source_failures_total", labels: [("source", source), ("reason", reason.rawValue)],
            help: "Fetches and deltas of a source that gave it no new rows, by reason (guard: min_rows or max_shrink).")
    }

    private func skippedCounter(_ source: String, _ reason: String) -> Counter {
        registry.makeCounter(
            name: "nameindex_source_skipped_rows_total", labels: [("source", source), ("reason", reason)],
            help: "Rows read from a source and skipped, by reason, over every load since the start.")
    }

    /// The snapshot was written in `duration`.
    func snapshotWritten(_ duration: Duration) {
        registry.makeDurationHistogram(
            name: "nameindex_snapshot_write_duration_seconds", buckets: Self.snapshotBuckets,
            help: "How long writing the snapshot (the whole index, fsynced) took.",
        ).record(duration)
    }

    /// Makes every labelled family exist from the start (a dashboard finds them at zero).
    func declare(sources: [String]) {
        for source in sources {
            for reason in SkipCountsView.reasons { _ = skippedCounter(source, reason) }
            for reason in [FailureReason.fetch, .guardTrip, .watermark, .delta] { _ = failureCounter(source, reason) }
        }
    }

    /// Each source's `reload_interval`, for an alert on a source not loaded for twice as long.
    func declare(reloadIntervals: [(source: String, interval: Duration)]) {
        for (source, interval) in reloadIntervals {
            registry.makeGauge(
                name: "nameindex_source_reload_interval_seconds", labels: [("source", source)],
                help: "A source's reload_interval (sources with a timer only)."
            ).set(to: Double(interval.microseconds) / 1e6)
        }
    }
}

/// A load's skipped rows by reason, as the metrics name them.
struct SkipCountsView {
    static let reasons = ["null", "empty", "invalid_utf8", "malformed", "too_long"]
    let byReason: [(String, Int)]

    init(_ s: SkipCounts) {
        byReason = zip(Self.reasons, [s.null, s.empty, s.invalidUTF8, s.malformed, s.tooLong]).map { ($0, $1) }
    }
}
