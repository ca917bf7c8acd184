import NIOCore
import NameIndexCore
import Synchronization

/// Lookups, hits and misses per namespace on the lookup socket, over the daemon's life, and
/// the keys most often missed (``MissSample``) since the last full reload.
///
/// Each namespace's counts are two atomics. Connections count in a ``LookupTally`` of their
/// own and add it once per read, through counter references they resolve once per
/// generation, so the hot path takes no lock and hashes no name. Each lookup event loop has
/// its own ``MissSample`` per namespace, which its connections add their missed keys to
/// directly, without a lock; reads and resets run as tasks on the loops.
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
        /// One per lookup event loop (shard); empty when `miss_sample` is 0.
        let misses: [MissSample]

        init(missSample: Int, shards: Int) {
            misses = missSample > 0 ? (0..<shards).map { _ in MissSample(capacity: missSample) } : []
        }
    }

    /// K of the space-saving sample per namespace (`miss_sample`); 0: no sample.
    public let missSample: Int
    private let counters = Mutex<[String: Counter]>([:])
    /// The lookup event loops, one sample shard each; empty: one shard, touched directly
    /// (no lookup server, as in tests).
    private let loops: [any EventLoop]
    private let shardOfLoop: [ObjectIdentifier: Int]

    public init(missSample: Int = 100, loops: [any EventLoop] = []) {
        self.missSample = min(max(missSample, 0), MissSample.maximumCapacity)
        self.loops = loops
        shardOfLoop = Dictionary(uniqueKeysWithValues: loops.enumerated().map { (ObjectIdentifier($1), $0) })
    }

    /// The sample shard of connections on `loop`.
    func shard(for loop: any EventLoop) -> Int { shardOfLoop[ObjectIdentifier(loop)] ?? 0 }

    private var shards: Int { max(1, loops.count) }

    /// Runs `body` with shard `i` on its loop (directly when there are no loops, or when the
    /// loop has shut down at the daemon's stop: then nothing writes the shard any more).
    private func onShard<R: Sendable>(_ i: Int, _ body: @escaping @Sendable () -> R) async -> R {
        guard i < loops.count else { return body() }
        return (try? await loops[i].submit(body).get()) ?? body()
    }

    /// The counter of `namespace`, made on first use.
    func counter(_ namespace: String) -> Counter {
        counters.withLock { all in
            if let counter = all[namespace] { return counter }
            let counter = Counter(missSample: missSample, shards: shards)
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

    /// The sample of `namespace`, its shards merged (empty when sampling is off).
    func misses(_ namespace: String) async -> Misses {
        let counter = counter(namespace)
        guard !counter.misses.isEmpty else { return Misses(capacity: 0, sinceUSec: 0, total: 0, distinct: 0, entries: []) }
        var parts: [MissSample.Snapshot] = []
        for (i, sample) in counter.misses.enumerated() { parts.append(await onShard(i) { sample.snapshot() }) }
        let merged = MissSample.merged(parts)
        return Misses(capacity: missSample, sinceUSec: merged.sinceUSec, total: merged.total, distinct: merged.distinct, entries: merged.entries)
    }

    /// The estimated distinct keys missed, per namespace that missed any (for the metrics).
    func missedKeys() async -> [String: Int] {
        let all = counters.withLock { $0 }
        var out: [String: Int] = [:]
        for (name, counter) in all where !counter.misses.isEmpty {
            var parts: [(total: Int, distinct: DistinctEstimate)] = []
            for (i, sample) in counter.misses.enumerated() { parts.append(await onShard(i) { sample.counts() }) }
            let merged = MissSample.mergedCounts(parts)
            if merged.total > 0 { out[name] = merged.distinct }
        }
        return out
    }

    /// Forgets the missed keys of every namespace: a full reload has swapped a generation in.
    /// The resets are queued on the loops, before anything asked of them later.
    public func resetMisses() {
        for counter in counters.withLock({ Array($0.values) }) {
            for (i, sample) in counter.misses.enumerated() {
                if i < loops.count { loops[i].execute { sample.reset() } } else { sample.reset() }
            }
        }
    }
}
