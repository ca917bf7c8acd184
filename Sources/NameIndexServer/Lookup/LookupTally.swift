import NameIndexCore
import Synchronization

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
