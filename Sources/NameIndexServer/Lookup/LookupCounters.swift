import NameIndexCore
import Synchronization

/// Lookups, hits and misses per namespace on the lookup socket, over the daemon's life, and
/// the keys most often missed (``MissSample``) since the last full reload.
///
/// Each namespace's counts are two atomics. Connections count in a ``LookupTally`` of their
/// own and add it once per read, through counter references they resolve once per
/// generation, so the hot path takes no lock and hashes no name. Missed keys are copied
/// into the tally's buffer and added to the namespace's sample under its lock, once per read.
public final class LookupCounters: Sendable {
    public struct Counts: Sendable, Equatable {
        public var lookups = 0
        public var hits = 0
        public var misses: Int { lookups - hits }

        public init(lookups: Int = 0, hits: Int = 0) {
            self.lookups = lookups
            self.hits = hits
        }
    }

    /// One namespace's counts.
    final class Counter: Sendable {
        let lookups = Atomic<Int>(0)
        let hits = Atomic<Int>(0)
        /// Nil when `miss_sample` is 0.
        let misses: MissSample?

        init(missSample: Int) {
            misses = missSample > 0 ? MissSample(capacity: missSample) : nil
        }
    }

    /// K of the space-saving sample per namespace (`miss_sample`); 0: no sample.
    public let missSample: Int
    private let counters = Mutex<[String: Counter]>([:])

    public init(missSample: Int = 100) {
        self.missSample = min(max(missSample, 0), MissSample.maximumCapacity)
    }

    /// The counter of `namespace`, made on first use.
    func counter(_ namespace: String) -> Counter {
        counters.withLock { all in
            if let counter = all[namespace] { return counter }
            let counter = Counter(missSample: missSample)
            all[namespace] = counter
            return counter
        }
    }

    /// The counts per namespace.
    public func snapshot() -> [String: Counts] {
        counters.withLock { all in
            all.mapValues { Counts(lookups: $0.lookups.load(ordering: .relaxed), hits: $0.hits.load(ordering: .relaxed)) }
        }.filter { $0.value.lookups > 0 }
    }

    /// The sum over all namespaces.
    public func total() -> Counts {
        snapshot().values.reduce(into: Counts()) {
            $0.lookups += $1.lookups
            $0.hits += $1.hits
        }
    }

    /// One namespace's sample of missed keys.
    struct Misses: Sendable, Equatable {
        var capacity: Int
        var sinceUSec: UInt64
        /// Misses counted into the sample since it was reset.
        var total: Int
        /// The estimated number of distinct keys among them.
        var distinct: Int
        var entries: [MissSample.Entry]
    }

    /// The sample of `namespace` (empty when sampling is off).
    func misses(_ namespace: String) -> Misses {
        guard let sample = counter(namespace).misses else { return Misses(capacity: 0, sinceUSec: 0, total: 0, distinct: 0, entries: []) }
        return sample.withLock {
            Misses(capacity: $0.capacity, sinceUSec: $0.sinceUSec, total: $0.total, distinct: $0.distinctEstimate, entries: $0.entries)
        }
    }

    /// The estimated distinct keys missed, per namespace that missed any (for the metrics).
    func missedKeys() -> [String: Int] {
        let all = counters.withLock { $0 }
        return all.compactMapValues { counter in counter.misses?.withLock { $0.total > 0 ? $0.distinctEstimate : nil } }
    }

    /// Forgets the missed keys of every namespace: a full reload has swapped a generation in.
    public func resetMisses() {
        for counter in counters.withLock({ Array($0.values) }) { counter.misses?.withLock { $0.reset() } }
    }
}
