import NameIndexCore
import Synchronization

/// Lookups, hits and misses per namespace on the lookup socket, over the daemon's life.
///
/// Each namespace's counts are two atomics. Connections count in a ``LookupTally`` of their
/// own and add it once per read, through counter references they resolve once per
/// generation, so the hot path takes no lock and hashes no name.
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
    }

    private let counters = Mutex<[String: Counter]>([:])

    public init() {}

    /// The counter of `namespace`, made on first use.
    func counter(_ namespace: String) -> Counter {
        counters.withLock { all in
            if let counter = all[namespace] { return counter }
            let counter = Counter()
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
}

/// One connection's counts since its last flush, by namespace slot of one generation.
struct LookupTally {
    private var counts: [(lookups: Int, hits: Int)] = []
    /// The shared counters of each slot, resolved when first flushed.
    private var counters: [LookupCounters.Counter?] = []
    private var generation: UInt64?
    private var touched = false

    /// Counts `lookups` keys of which `hits` were found, in namespace `slot` of `index`.
    @inline(__always)
    mutating func count(slot: Int, namespaces: Int, lookups: Int, hits: Int) {
        if counts.count != namespaces { counts = Array(repeating: (0, 0), count: namespaces) }
        counts[slot].lookups += lookups
        counts[slot].hits += hits
        touched = true
    }

    /// Adds the counts (made against `index`) to `shared` and clears them.
    mutating func flush(into shared: LookupCounters, index: Index) {
        guard touched else { return }
        if generation != index.generation || counters.count != counts.count {
            generation = index.generation
            counters = Array(repeating: nil, count: counts.count)
        }
        for slot in counts.indices where counts[slot].lookups > 0 {
            let counter = counters[slot] ?? shared.counter(index.namespaceName(slot: slot))
            counters[slot] = counter
            counter.lookups.add(counts[slot].lookups, ordering: .relaxed)
            counter.hits.add(counts[slot].hits, ordering: .relaxed)
            counts[slot] = (0, 0)
        }
        touched = false
    }
}
