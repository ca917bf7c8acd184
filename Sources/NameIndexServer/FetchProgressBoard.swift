import NameIndexProtocol
import Synchronization

/// Where running fetches report their progress, read by `Status`.
///
/// Fetches update it from their delivery loops (a lock held for a few
/// assignments per batch of rows); `Status` reads a copy.
final class FetchProgressBoard: Sendable {
    private struct Entry {
        var state: IndexInterface.FetchProgress.State
        var attempt: Int
        var rows: Int
        var bytes: Int
        var queuedAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])

    func queued(_ source: String) {
        entries.withLock { $0[source] = Entry(state: .queued, attempt: 1, rows: 0, bytes: 0, queuedAt: .now) }
    }

    /// An attempt (of one partition) runs; `attempt` is the highest attempt of any partition.
    /// Rows and bytes keep adding up over partitions and attempts.
    func running(_ source: String, attempt: Int) {
        entries.withLock { entries in
            var entry = entries[source] ?? Entry(state: .queued, attempt: attempt, rows: 0, bytes: 0, queuedAt: .now)
            entry.state = .running
            entry.attempt = max(entry.attempt, attempt)
            entries[source] = entry
        }
    }

    func delivered(_ source: String, rows: Int, bytes: Int) {
        entries.withLock {
            $0[source]?.rows += rows
            $0[source]?.bytes += bytes
        }
    }

    func set(_ source: String, _ state: IndexInterface.FetchProgress.State) {
        entries.withLock { $0[source]?.state = state }
    }

    /// The progress of `source`'s current (or last) fetch.
    func progress(of source: String) -> IndexInterface.FetchProgress? {
        entries.withLock { entries in
            entries[source].map {
                .init(
                    state: $0.state, attempt: $0.attempt, rows: $0.rows, bytes: $0.bytes,
                    elapsedUSec: (ContinuousClock.now - $0.queuedAt).microseconds)
            }
        }
    }
}
