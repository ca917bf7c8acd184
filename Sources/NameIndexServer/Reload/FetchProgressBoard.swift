import NameIndexProtocol
import Synchronization

/// Where running fetches report their progress, read by `Status` and by `Reload` with `more`.
///
/// Fetches update it from their delivery loops (a lock held for a few
/// assignments per batch of rows); readers take a copy. Every update also yields `progress`
/// to the tickets of the running load (``watch(_:)``), whose streams keep only the newest event.
final class FetchProgressBoard: Sendable {
    private struct Part {
        var state: IndexInterface.FetchProgress.State = .queued
        var attempt = 1
        var rows = 0
        var bytes = 0
    }

    private struct Entry {
        var state: IndexInterface.FetchProgress.State = .queued
        var parts: [Part]
        var queuedAt: ContinuousClock.Instant
        /// When the fetch ended (done or failed): its elapsed time stops there.
        var endedAt: ContinuousClock.Instant?
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let watchers = Mutex<[AsyncStream<ReloadTicket.Event>.Continuation]>([])

    /// From now on, every update yields `progress` into `ticket`, until ``stopWatching()``.
    func watch(_ ticket: AsyncStream<ReloadTicket.Event>.Continuation) {
        watchers.withLock { $0.append(ticket) }
    }

    /// The running load has ended: its tickets get no more progress. Called before they get
    /// `finished`, so that `finished` is the last event of each.
    func stopWatching() {
        watchers.withLock { $0 = [] }
    }

    private func changed() {
        watchers.withLock { watchers in
            for watcher in watchers { watcher.yield(.progress) }
        }
    }

    /// A fetch of `source` in `partitions` partitions is queued.
    func queued(_ source: String, partitions: Int = 1) {
        entries.withLock {
            $0[source] = Entry(parts: Array(repeating: Part(), count: max(1, partitions)), queuedAt: .now)
        }
        changed()
    }

    /// An attempt of `partition` (nil: the source's preparation) runs.
    func running(_ source: String, partition: Int?, attempt: Int) {
        entries.withLock { entries in
            entries[source]?.state = .running
            if let partition { entries[source]?.parts[partition].state = .running }
            entries[source]?.parts[partition ?? 0].attempt = attempt
        }
        changed()
    }

    /// Rows and bytes keep adding up over a partition's attempts.
    func delivered(_ source: String, partition: Int, rows: Int, bytes: Int) {
        entries.withLock {
            $0[source]?.parts[partition].rows += rows
            $0[source]?.parts[partition].bytes += bytes
        }
        changed()
    }

    /// A partition's state; the source is `retrying` while any partition is.
    func set(_ source: String, partition: Int?, _ state: IndexInterface.FetchProgress.State) {
        entries.withLock { entries in
            guard var entry = entries[source] else { return }
            if let partition { entry.parts[partition].state = state }
            if partition == nil {
                entry.state = state
                if state == .done || state == .failed { entry.endedAt = .now }
            } else if entry.parts.contains(where: { $0.state == .retrying }) {
                entry.state = .retrying
            } else if entry.state == .retrying {
                entry.state = .running
            }
            entries[source] = entry
        }
        changed()
    }

    /// Rows received so far over `sources`, and what is under way, e.g.
    /// `users 4/8 partitions done, teams running` (for `STATUS=` during the first load).
    func loadingSummary(_ sources: [String]) -> (rows: Int, text: String) {
        entries.withLock { entries in
            var rows = 0
            var parts: [String] = []
            for name in sources {
                guard let entry = entries[name] else { continue }
                rows += entry.parts.reduce(0) { $0 + $1.rows }
                guard entry.state == .running || entry.state == .retrying || entry.state == .queued else { continue }
                if entry.parts.count > 1 {
                    parts.append("\(name) \(entry.parts.filter { $0.state == .done }.count)/\(entry.parts.count) partitions done")
                } else {
                    parts.append("\(name) \(entry.state.rawValue)")
                }
            }
            return (rows, parts.joined(separator: ", "))
        }
    }

    /// The progress of `source`'s current (or last) fetch.
    func progress(of source: String) -> IndexInterface.FetchProgress? {
        entries.withLock { entries in
            entries[source].map { entry in
                .init(
                    state: entry.state, attempt: entry.parts.map(\.attempt).max() ?? 1,
                    rows: entry.parts.reduce(0) { $0 + $1.rows }, bytes: entry.parts.reduce(0) { $0 + $1.bytes },
                    elapsedUSec: ((entry.endedAt ?? .now) - entry.queuedAt).microseconds,
                    partitions: entry.parts.count > 1
                        ? entry.parts.map { .init(state: $0.state, attempt: $0.attempt, rows: $0.rows, bytes: $0.bytes) } : nil)
            }
        }
    }
}
