#if canImport(Glibc)
import Glibc
#endif
import NameIndexCore
import Synchronization

/// One connection's counts since its last flush, by namespace slot of one generation; its
/// missed keys go straight into its event loop's ``MissSample`` of the namespace.
struct LookupTally {
    private let shared: LookupCounters
    private var counts: [(lookups: Int, hits: Int)] = []
    /// The shared counters of each slot, resolved when first flushed.
    private var counters: [LookupCounters.Counter?] = []
    /// Its loop's sample of each slot, resolved at the slot's first miss; unretained (no
    /// atomic retain and release per miss), kept alive by the slot's entry in `counters`,
    /// which holds it and is set with it and cleared with it.
    private var samples: [Unmanaged<MissSample>?] = []
    private var generation: UInt64?
    private var touched = false
    /// The connection's event loop's shard of the samples.
    private let shard: Int
    /// The time of the misses of this read, read at its first (nil: none yet).
    private var missTime: UInt64?
    let sampling: Bool

    init(counters: LookupCounters, shard: Int = 0) {
        shared = counters
        self.shard = shard
        sampling = counters.missSample > 0
    }

    /// Counts `lookups` keys of which `hits` were found, in namespace `slot` of `index`.
    @inline(__always)
    mutating func count(slot: Int, namespaces: Int, lookups: Int, hits: Int) {
        if counts.count != namespaces { counts = Array(repeating: (0, 0), count: namespaces) }
        counts[slot].lookups += lookups
        counts[slot].hits += hits
        touched = true
    }

    /// Notes that `key` was not found in namespace `slot` of `index`.
    @inline(__always)
    mutating func miss(slot: Int, key: UnsafeRawBufferPointer, index: Index) {
        guard sampling else { return }
        recordMiss(slot: slot, key: key, index: index)
    }

    private mutating func recordMiss(slot: Int, key: UnsafeRawBufferPointer, index: Index) {
        resolve(index)
        if samples.count != counters.count { samples = Array(repeating: nil, count: counters.count) }
        let sample: Unmanaged<MissSample>
        if let resolved = samples[slot] {
            sample = resolved
        } else {
            let misses = counter(slot, index).misses
            guard shard < misses.count else { return }
            sample = Unmanaged.passUnretained(misses[shard])
            samples[slot] = sample
        }
        let now = missTime ?? MissSample.now()
        missTime = now
        sample._withUnsafeGuaranteedRef { $0.add(key, at: now) }
    }

    /// Adds the counts (made against `index`) to the shared counters and clears them.
    mutating func flush(index: Index) {
        missTime = nil
        guard touched else { return }
        resolve(index)
        for slot in counts.indices where counts[slot].lookups > 0 {
            let counter = counter(slot, index)
            counter.lookups.add(counts[slot].lookups, ordering: .relaxed)
            counter.hits.add(counts[slot].hits, ordering: .relaxed)
            counts[slot] = (0, 0)
        }
        touched = false
    }

    private mutating func resolve(_ index: Index) {
        if generation != index.generation || counters.count != index.namespaceCount {
            generation = index.generation
            counters = Array(repeating: nil, count: index.namespaceCount)
            samples = Array(repeating: nil, count: index.namespaceCount)
        }
    }

    private mutating func counter(_ slot: Int, _ index: Index) -> LookupCounters.Counter {
        if let counter = counters[slot] { return counter }
        let counter = shared.counter(index.namespaceName(slot: slot))
        counters[slot] = counter
        return counter
    }
}
