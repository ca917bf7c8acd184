#if canImport(Glibc)
import Glibc
#endif
import NameIndexCore

/// The keys most often looked up and not found in one namespace, with approximate counts:
/// filtered space-saving (Homem and Carvalho, 2010; space-saving is Metwally, Agrawal and
/// El Abbadi, 2005) over at most `capacity` keys, and an estimate of how many distinct keys
/// were missed.
///
/// - A key already held counts one more. A key not held counts in its bucket of the filter
///   (`filter[hash]`, eight buckets per place), which bounds from above the misses of every
///   key not held that falls in it. Only when that bucket's count would pass the smallest
///   count held does the key take the place of the key with the smallest count, with the
///   bucket's count plus one as its count and the bucket's count as its `error`; the key
///   that leaves pushes its count back into its own bucket. So a key's true count lies
///   between `count - error` and `count`, and every key missed more than
///   `total / capacity` times is held, as in space-saving; but a stream of keys that are
///   all new (random ids) touches only the filter, not the places.
/// - Everything is fixed at `init`: keys live in places of ``maximumKeyBytes`` each (a
///   longer key is held by its first bytes, marked `truncated`), found through an
///   open-addressed table of four times the capacity (linear probing, deletion by backward
///   shift), and ordered by count in a binary min-heap. Adding a key allocates nothing
///   and costs O(log capacity), whatever the keys: a hostile client can only make its own
///   keys the ones held.
/// - A sample belongs to one lookup event loop (``LookupCounters`` keeps one per loop and
///   namespace), which alone writes it, without a lock; others read it with a task on that
///   loop (``snapshot()``), and ``merged(_:)`` combines the loops' snapshots.
final class MissSample: @unchecked Sendable {  // touched only on its event loop
    static let maximumKeyBytes = 128
    static let maximumCapacity = 10_000

    struct Entry: Sendable, Equatable {
        var key: [UInt8]
        var truncated: Bool
        var count: Int
        var error: Int
        var firstSeenUSec: UInt64
        var lastSeenUSec: UInt64
    }

    let capacity: Int
    /// Misses counted since the last reset.
    @exclusivity(unchecked) private(set) var total = 0
    /// When the sample was made or last reset (µs since the epoch).
    @exclusivity(unchecked) private(set) var sinceUSec = MissSample.now()
    @exclusivity(unchecked) private var size = 0
    private let keyBytes: UnsafeMutablePointer<UInt8>
    private let keyLengths: UnsafeMutablePointer<UInt16>
    private let truncated: UnsafeMutablePointer<Bool>
    private let hashes: UnsafeMutablePointer<UInt64>
    private let errors: UnsafeMutablePointer<Int>
    private let firstSeen: UnsafeMutablePointer<UInt64>
    private let lastSeen: UnsafeMutablePointer<UInt64>
    /// Heap order: `heap[i]` is a place and `heapCount[i]` its count (kept side by side, so
    /// that sifting reads counts in order); `heapPosition[place]` is where it sits in `heap`.
    private let heap: UnsafeMutablePointer<Int32>
    private let heapCount: UnsafeMutablePointer<Int>
    private let heapPosition: UnsafeMutablePointer<Int32>
    /// Hash table: a place, or -1 for an empty slot.
    private let table: UnsafeMutablePointer<Int32>
    private let tableMask: Int
    /// The filter: per bucket, an upper bound on the misses of any key not held that falls in it.
    private let filter: UnsafeMutablePointer<Int>
    private let filterMask: Int
    private let distinct = DistinctEstimate()

    init(capacity: Int) {
        precondition(capacity > 0 && capacity <= Self.maximumCapacity)
        self.capacity = capacity
        keyBytes = .allocate(capacity: capacity * Self.maximumKeyBytes)
        keyLengths = .allocate(capacity: capacity)
        truncated = .allocate(capacity: capacity)
        hashes = .allocate(capacity: capacity)
        heapCount = .allocate(capacity: capacity)
        errors = .allocate(capacity: capacity)
        firstSeen = .allocate(capacity: capacity)
        lastSeen = .allocate(capacity: capacity)
        heap = .allocate(capacity: capacity)
        heapPosition = .allocate(capacity: capacity)
        var slots = 1
        while slots < capacity * 4 { slots <<= 1 }  // a quarter full at most: short probes
        table = .allocate(capacity: slots)
        table.initialize(repeating: -1, count: slots)
        tableMask = slots - 1
        var buckets = 64
        while buckets < capacity * 8 { buckets <<= 1 }
        filter = .allocate(capacity: buckets)
        filter.initialize(repeating: 0, count: buckets)
        filterMask = buckets - 1
    }

    deinit {
        for pointer in [UnsafeMutableRawPointer(keyBytes), UnsafeMutableRawPointer(keyLengths), UnsafeMutableRawPointer(truncated),
                        UnsafeMutableRawPointer(hashes), UnsafeMutableRawPointer(heapCount), UnsafeMutableRawPointer(errors),
                        UnsafeMutableRawPointer(firstSeen), UnsafeMutableRawPointer(lastSeen), UnsafeMutableRawPointer(heap),
                        UnsafeMutableRawPointer(heapPosition), UnsafeMutableRawPointer(table), UnsafeMutableRawPointer(filter)] {
            pointer.deallocate()
        }
    }

    /// The time of day in µs, from the coarse clock (a few ms of resolution, a fraction of the
    /// cost of the precise one): the clock of every time the sample records.
    static func now() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec / 1000)
    }

    /// What the sample holds now, to read elsewhere.
    struct Snapshot: Sendable {
        var capacity: Int
        var sinceUSec: UInt64
        var total: Int
        var entries: [Entry]
        /// The smallest count held when every place is taken (a bound on any key not held),
        /// else 0 (a key not held was never missed here).
        var floor: Int
        var distinct: DistinctEstimate
    }

    func snapshot() -> Snapshot {
        Snapshot(
            capacity: capacity, sinceUSec: sinceUSec, total: total, entries: entries,
            floor: size == capacity ? heapCount[0] : 0, distinct: distinct.copy())
    }

    /// The samples of several loops as one: a key's count and error are the sums over the
    /// samples, counting a sample that does not hold it at its floor (so the bounds of each
    /// hold for the sum); the `capacity` largest are kept. A key missed more than
    /// `total / capacity` times is held by at least one sample, so it is among them.
    static func merged(_ parts: [Snapshot]) -> (total: Int, distinct: Int, sinceUSec: UInt64, entries: [Entry]) {
        let (total, distinct) = mergedCounts(parts.map { ($0.total, $0.distinct) })
        let since = parts.map(\.sinceUSec).min() ?? 0
        guard parts.count > 1 else { return (total, distinct, since, parts.first?.entries ?? []) }
        var byKey: [[UInt8]: (entry: Entry, seen: Int)] = [:]
        for (i, part) in parts.enumerated() {
            for entry in part.entries {
                if var held = byKey[entry.key] {
                    held.entry.count += entry.count
                    held.entry.error += entry.error
                    held.entry.firstSeenUSec = min(held.entry.firstSeenUSec, entry.firstSeenUSec)
                    held.entry.lastSeenUSec = max(held.entry.lastSeenUSec, entry.lastSeenUSec)
                    held.seen |= 1 << min(i, 62)
                    byKey[entry.key] = held
                } else {
                    byKey[entry.key] = (entry, 1 << min(i, 62))
                }
            }
        }
        var entries: [Entry] = []
        for (_, value) in byKey {
            var entry = value.entry
            for (i, part) in parts.enumerated() where value.seen & (1 << min(i, 62)) == 0 {
                entry.count += part.floor
                entry.error += part.floor
            }
            entries.append(entry)
        }
        entries.sort { $0.count != $1.count ? $0.count > $1.count : $0.key.lexicographicallyPrecedes($1.key) }
        let capacity = parts.map(\.capacity).max() ?? 0
        return (total, distinct, since, Array(entries.prefix(capacity)))
    }

    /// The misses counted and a copy of the distinct estimate: what the metrics read.
    func counts() -> (total: Int, distinct: DistinctEstimate) { (total, distinct.copy()) }

    /// The misses of several loops' ``counts()`` together, and how many distinct keys they are.
    static func mergedCounts(_ parts: [(total: Int, distinct: DistinctEstimate)]) -> (total: Int, distinct: Int) {
        let total = parts.reduce(0) { $0 + $1.total }
        let union = DistinctEstimate()
        for part in parts { union.merge(part.distinct) }
        return (total, distinctCount(total: total, union))
    }

    /// An estimate as a count: 0 only when nothing was missed, else at least 1.
    private static func distinctCount(total: Int, _ estimate: DistinctEstimate) -> Int {
        total == 0 ? 0 : max(1, Int(estimate.estimate.rounded()))
    }

    /// Forgets every key.
    func reset() {
        table.initialize(repeating: -1, count: tableMask + 1)
        filter.initialize(repeating: 0, count: filterMask + 1)
        size = 0
        total = 0
        sinceUSec = Self.now()
        distinct.reset()
    }

    /// How many distinct keys were missed since the last reset (HyperLogLog, about 1.6 %).
    var distinctEstimate: Int { Self.distinctCount(total: total, distinct) }

    /// Counts one miss of `key` at `now` (µs since the epoch).
    func add(_ key: UnsafeRawBufferPointer, at now: UInt64) {
        let held = min(key.count, Self.maximumKeyBytes)
        let stored = UnsafeRawBufferPointer(rebasing: key[key.startIndex..<(key.startIndex + held)])
        let full = DistinctEstimate.hash(key)
        let hash = key.count > held ? DistinctEstimate.hash(stored) ^ 0x5bd1_e995 : full
        total += 1
        distinct.add(full)
        var slot = Int(truncatingIfNeeded: hash) & tableMask
        while table[slot] >= 0 {
            let place = Int(table[slot])
            if hashes[place] == hash && matches(place, stored, truncated: key.count > held) {
                heapCount[Int(heapPosition[place])] += 1
                lastSeen[place] = now
                siftDown(Int(heapPosition[place]))
                return
            }
            slot = (slot + 1) & tableMask
        }
        let place: Int
        let bucket = Self.bucket(hash, filterMask)
        if size < capacity {
            place = size
            heap[size] = Int32(place)
            heapPosition[place] = Int32(size)
            size += 1
            heapCount[size - 1] = filter[bucket] + 1
            errors[place] = filter[bucket]
            siftUp(size - 1)
        } else {
            guard filter[bucket] + 1 > heapCount[0] else {
                // Not yet more than the least held: it counts in its bucket only.
                filter[bucket] += 1
                return
            }
            // The smallest count gives its place up, and pushes its count into its bucket.
            place = Int(heap[0])
            let leaving = Self.bucket(hashes[place], filterMask)
            filter[leaving] = max(filter[leaving], heapCount[0])
            remove(place)
            errors[place] = filter[bucket]
            heapCount[0] = filter[bucket] + 1
            // The slot found above may have moved in the removal: look again.
            slot = Int(truncatingIfNeeded: hash) & tableMask
            while table[slot] >= 0 { slot = (slot + 1) & tableMask }
        }
        table[slot] = Int32(place)
        hashes[place] = hash
        keyLengths[place] = UInt16(held)
        truncated[place] = key.count > held
        if held > 0 { (keyBytes + place * Self.maximumKeyBytes).update(from: stored.bindMemory(to: UInt8.self).baseAddress!, count: held) }
        firstSeen[place] = now
        lastSeen[place] = now
        siftDown(Int(heapPosition[place]))
    }

    /// The keys held, the most missed first (ties by key).
    var entries: [Entry] {
        (0..<size).map { place in
            Entry(
                key: Array(UnsafeBufferPointer(start: keyBytes + place * Self.maximumKeyBytes, count: Int(keyLengths[place]))),
                truncated: truncated[place], count: heapCount[Int(heapPosition[place])], error: errors[place],
                firstSeenUSec: firstSeen[place], lastSeenUSec: lastSeen[place])
        }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.key.lexicographicallyPrecedes($1.key) }
    }

    /// A key's bucket of the filter: the hash's top bits (the table uses its low ones).
    @inline(__always)
    private static func bucket(_ hash: UInt64, _ mask: Int) -> Int { Int(truncatingIfNeeded: hash >> 40) & mask }

    private func matches(_ place: Int, _ key: UnsafeRawBufferPointer, truncated isTruncated: Bool) -> Bool {
        guard Int(keyLengths[place]) == key.count, truncated[place] == isTruncated else { return false }
        return key.isEmpty || memcmp(keyBytes + place * Self.maximumKeyBytes, key.baseAddress!, key.count) == 0
    }

    /// Takes `place`'s key out of the hash table (backward-shift deletion keeps every other
    /// key reachable from its home slot without tombstones).
    private func remove(_ place: Int) {
        var slot = Int(truncatingIfNeeded: hashes[place]) & tableMask
        while Int(table[slot]) != place { slot = (slot + 1) & tableMask }
        var hole = slot
        var next = (hole + 1) & tableMask
        while table[next] >= 0 {
            let home = Int(truncatingIfNeeded: hashes[Int(table[next])]) & tableMask
            // The entry at `next` may move into the hole when its home is not within (hole, next].
            let distanceToNext = (next - home) & tableMask
            let distanceToHole = (hole - home) & tableMask
            if distanceToHole < distanceToNext {
                table[hole] = table[next]
                hole = next
            }
            next = (next + 1) & tableMask
        }
        table[hole] = -1
    }

    /// Restores heap order above `start`, for a place just added with the smallest count.
    private func siftUp(_ start: Int) {
        var position = start
        while position > 0 {
            let parent = (position - 1) / 2
            guard heapCount[position] < heapCount[parent] else { return }
            swapHeap(position, parent)
            position = parent
        }
    }

    private func swapHeap(_ i: Int, _ j: Int) {
        let a = heap[i], b = heap[j]
        heap[i] = b
        heap[j] = a
        let count = heapCount[i]
        heapCount[i] = heapCount[j]
        heapCount[j] = count
        heapPosition[Int(b)] = Int32(i)
        heapPosition[Int(a)] = Int32(j)
    }

    /// Restores heap order below `start` after its count grew.
    private func siftDown(_ start: Int) {
        var position = start
        while true {
            let left = 2 * position + 1
            guard left < size else { return }
            var smallest = left
            let right = left + 1
            if right < size && heapCount[right] < heapCount[left] { smallest = right }
            guard heapCount[smallest] < heapCount[position] else { return }
            swapHeap(position, smallest)
            position = smallest
        }
    }
}
