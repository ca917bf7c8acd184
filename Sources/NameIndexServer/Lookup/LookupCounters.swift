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
