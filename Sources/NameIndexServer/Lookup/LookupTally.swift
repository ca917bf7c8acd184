#if canImport(Glibc)
import Glibc
#endif
import NameIndexCore
import Synchronization

/// One connection's counts since its last flush, by namespace slot of one generation, and
/// the keys it missed, for the namespaces' ``MissSample``s.
struct LookupTally {
    private let shared: LookupCounters
    private var counts: [(lookups: Int, hits: Int)] = []
    /// The shared counters of each slot, resolved when first flushed.
    private var counters: [LookupCounters.Counter?] = []
    private var generation: UInt64?
    private var touched = false
    /// Missed keys, end to end, and where each ends with its slot; their capacity is kept.
    private var missedBytes: [UInt8] = []
    private var missed: [(slot: Int32, end: Int32)] = []
    let sampling: Bool

    /// Most missed keys (and their bytes) held before they are added to the samples: small,
    /// as every connection that misses holds one (10,000 connections: 50 MiB at most).
    static let missBuffer = (keys: 256, bytes: 4 * 1024)

    init(counters: LookupCounters) {
        shared = counters
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
        if missed.count >= Self.missBuffer.keys || missedBytes.count + MissSample.maximumKeyBytes > Self.missBuffer.bytes {
            flushMisses(index: index)
        }
        if missed.isEmpty && missedBytes.capacity == 0 {
            missedBytes.reserveCapacity(Self.missBuffer.bytes)
            missed.reserveCapacity(Self.missBuffer.keys)
        }
        // Only what the sample keeps of a key, and a marker byte when there was more.
        let held = min(key.count, MissSample.maximumKeyBytes)
        if let base = key.baseAddress, held > 0 {
            missedBytes.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: held))
        }
        if key.count > held { missedBytes.append(0xFF) }
        missed.append((Int32(truncatingIfNeeded: slot), Int32(truncatingIfNeeded: missedBytes.count)))
        touched = true
    }

    /// Adds the counts and missed keys (made against `index`) to the shared counters and
    /// clears them.
    mutating func flush(index: Index) {
        guard touched else { return }
        resolve(index)
        for slot in counts.indices where counts[slot].lookups > 0 {
            let counter = counter(slot, index)
            counter.lookups.add(counts[slot].lookups, ordering: .relaxed)
            counter.hits.add(counts[slot].hits, ordering: .relaxed)
            counts[slot] = (0, 0)
        }
        flushMisses(index: index)
        touched = false
    }

    private mutating func resolve(_ index: Index) {
        if generation != index.generation || counters.count != index.namespaceCount {
            generation = index.generation
            counters = Array(repeating: nil, count: index.namespaceCount)
        }
    }

    private mutating func counter(_ slot: Int, _ index: Index) -> LookupCounters.Counter {
        if let counter = counters[slot] { return counter }
        let counter = shared.counter(index.namespaceName(slot: slot))
        counters[slot] = counter
        return counter
    }

    private mutating func flushMisses(index: Index) {
        guard !missed.isEmpty else { return }
        resolve(index)
        let usec = MissSample.now()
        // Taken out while used (and put back emptied, capacity kept), so that nothing is copied.
        var missed: [(slot: Int32, end: Int32)] = []
        swap(&missed, &self.missed)
        var start = 0
        var position = 0
        while position < missed.count {
            // A run of the same namespace under one lock.
            let slot = Int(missed[position].slot)
            var end = position
            while end < missed.count && missed[end].slot == slot { end += 1 }
            if let sample = counter(slot, index).misses {
                missedBytes.withUnsafeBytes { bytes in
                    sample.withLock { sample in
                        // A key cut to MissSample.maximumKeyBytes carries a marker byte, so the
                        // sample holds it as truncated.
                        for i in position..<end {
                            let end = Int(missed[i].end)
                            sample.add(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), at: usec)
                            start = end
                        }
                    }
                }
            } else {
                start = Int(missed[end - 1].end)
            }
            position = end
        }
        missed.removeAll(keepingCapacity: true)
        swap(&missed, &self.missed)
        missedBytes.removeAll(keepingCapacity: true)
    }
}
