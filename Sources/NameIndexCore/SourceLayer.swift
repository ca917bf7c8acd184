/// One source's rows in a generation: the base table its last full load built and, once
/// deltas have been applied, an overlay of what changed since, consulted first.
///
/// The overlay is a ``KeyTable`` of its own (so it is hashed, laid out and saved exactly as a
/// base is) whose entries are upserts and tombstones: an entry with an empty name is a
/// tombstone, since no loaded row has an empty name. A key the overlay holds is answered by
/// the overlay alone, a tombstone hiding it in this source; any other key by the base.
public struct SourceLayer: Sendable {
    public let base: KeyTable
    public let overlay: KeyTable?
    /// Which keys the overlay may hold; nil exactly when there is no overlay.
    public let filter: OverlayFilter?
    /// Keys this source answers (the base's, less the tombstoned, plus upserts of new keys).
    public let count: Int

    /// What this source alone says about a key.
    public enum Answer {
        case name(UnsafeRawBufferPointer)
        /// A tombstone in the overlay: this source does not answer it, the next one may.
        case deleted
        case absent
    }

    /// A layer of a base alone.
    public init(base: KeyTable) {
        self.base = base
        self.overlay = nil
        self.filter = nil
        self.count = base.count
    }

    /// A layer whose live count is known (kept up to date delta by delta).
    public init(base: KeyTable, overlay: KeyTable?, count: Int) {
        self.base = base
        self.overlay = overlay.flatMap { $0.count == 0 ? nil : $0 }
        self.filter = self.overlay.map { OverlayFilter($0, hashedAs: base) }
        self.count = count
    }

    /// A layer whose live count is counted, from the overlay's entries (a loaded snapshot).
    public init(base: KeyTable, overlay: KeyTable?) {
        var count = base.count
        overlay?.forEachEntry { key, name in
            let inBase = base.contains(key)
            if name.isEmpty {
                if inBase { count -= 1 }
            } else if !inBase {
                count += 1
            }
        }
        self.init(base: base, overlay: overlay, count: count)
    }

    /// Entries of the overlay, upserts and tombstones.
    public var overlayEntries: Int { overlay?.count ?? 0 }
    /// Bytes of the overlay, as in memory and in a snapshot.
    public var overlayBytes: Int { overlay?.memoryBytes ?? 0 }
    /// Bytes of base and overlay.
    public var memoryBytes: Int { base.memoryBytes + overlayBytes }

    /// What the overlay says about `key`: nil when it does not hold it.
    @inlinable
    public func overlayAnswer(_ key: UnsafeRawBufferPointer) -> Answer? {
        overlayAnswer(key, baseHash: base.hash(of: key))
    }

    @inlinable
    func overlayAnswer(_ key: UnsafeRawBufferPointer, baseHash: UInt64?) -> Answer? {
        guard let overlay, filter!.mayContain(baseHash), let offset = overlay.find(key) else { return nil }
        let name = overlay.nameAt(offset)
        return name.isEmpty ? .deleted : .name(name)
    }

    /// What this source says about `key`; the key is hashed once, for the base and the filter.
    @inlinable
    public func answer(_ key: UnsafeRawBufferPointer) -> Answer {
        let hash = base.hash(of: key)
        if let answer = overlayAnswer(key, baseHash: hash) { return answer }
        guard let hash else { return .absent }
        return base.find(key, hash: hash).map { .name(base.nameAt($0)) } ?? .absent
    }

    /// The name this source gives `key`, or nil.
    @inlinable
    public func name(forKey key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        if case .name(let name) = answer(key) { return name }
        return nil
    }

    /// Whether this source answers `key`.
    public func contains(_ key: UnsafeRawBufferPointer) -> Bool { name(forKey: key) != nil }

    /// Positions of ``forEachEntry(inBuckets:_:)``: the base's buckets, then the overlay's.
    public var bucketTotal: Int { base.bucketTotal + (overlay?.bucketTotal ?? 0) }

    /// Calls `body` with every key this source answers and its name, each once: the base's
    /// entries the overlay does not hold, then the overlay's upserts. Positions are stable for
    /// a given layer, so one is a cursor.
    public func forEachEntry(
        inBuckets range: Range<Int>, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        let split = base.bucketTotal
        guard let overlay else { return try base.forEachEntry(inBuckets: range, body) }
        let baseRange = range.clamped(to: 0..<split)
        if !baseRange.isEmpty {
            try base.forEachEntry(inBuckets: baseRange) { key, name in
                if !overlay.contains(key) { try body(key, name) }
            }
        }
        let overlayRange = range.clamped(to: split..<split + overlay.bucketTotal)
        if !overlayRange.isEmpty {
            try overlay.forEachEntry(inBuckets: overlayRange.lowerBound - split..<overlayRange.upperBound - split) { key, name in
                if !name.isEmpty { try body(key, name) }
            }
        }
    }

    /// Calls `body` with every key this source answers and its name, each once.
    public func forEachEntry(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try forEachEntry(inBuckets: 0..<bucketTotal, body)
    }

    /// Whether two layers are the very same tables.
    public func isSame(as other: SourceLayer) -> Bool {
        base === other.base && overlay === other.overlay
    }

    /// Base and overlay merged into one new base (compaction): what this layer answers, with
    /// no overlay. Streams both into one builder (whose arena commits memory as it grows,
    /// never copying); the old tables are only read.
    ///
    /// - Throws: ``KeyTableError`` when memory cannot be had.
    public func compacted() throws -> KeyTable {
        guard let overlay else { return base }
        let builder = KeyTableBuilder()
        try base.forEachEntry { key, name in
            if !overlay.contains(key) { try builder.insert(key: key, name: name) }
        }
        try overlay.forEachEntry { key, name in
            if !name.isEmpty { try builder.insert(key: key, name: name) }
        }
        return try builder.finish()
    }
}

/// A blocked Bloom filter of an overlay's keys (two bits per key, both in one 64-bit word; at
/// least 16 bits per key), hashed as the layer's base hashes them so that a batched lookup
/// hashes a key once for both, so that a lookup
/// of a key the overlay does not hold — nearly every lookup — costs a hash and a read of a
/// small bit array that stays in cache instead of a probe of the overlay's table, which at 5%
/// of a large base is many megabytes and would cost a cache miss per lookup.
public final class OverlayFilter: @unchecked Sendable {  // immutable once built
    @usableFromInline let words: UnsafeMutablePointer<UInt64>
    @usableFromInline let mask: UInt64
    private let wordCount: Int
    /// Whether the overlay holds a key the base cannot (a text key beside an integer base):
    /// a lookup without a base hash must then ask the overlay itself.
    @usableFromInline let holdsUnhashable: Bool

    /// A filter of every key of `overlay` (keys as text, as lookups give them), each hashed as `base` hashes keys.
    init(_ overlay: KeyTable, hashedAs base: KeyTable) {
        var bits = 512
        while bits < overlay.count * 16 { bits <<= 1 }
        wordCount = bits / 64
        words = .allocate(capacity: wordCount)
        words.initialize(repeating: 0, count: wordCount)
        mask = UInt64(wordCount - 1)
        var unhashable = false
        let words = self.words
        let mask = self.mask
        overlay.forEachEntry { key, _ in
            guard let hash = base.hash(of: key) else {
                unhashable = true
                return
            }
            let (word, bits) = OverlayFilter.position(hash, mask: mask)
            words[word] |= bits
        }
        holdsUnhashable = unhashable
    }

    deinit { words.deallocate() }

    /// The word a hash picks (its low bits) and the two bits in it (from its high bits).
    @inlinable
    func position(_ hash: UInt64) -> (Int, UInt64) { OverlayFilter.position(hash, mask: mask) }

    @inlinable
    static func position(_ hash: UInt64, mask: UInt64) -> (Int, UInt64) {
        (Int(hash & mask), (1 << (hash >> 58)) | (1 << ((hash >> 52) & 63)))
    }

    /// False when the key whose base hash is `hash` (nil: the base cannot hold it) is certainly
    /// not in the overlay.
    @inlinable
    public func mayContain(_ hash: UInt64?) -> Bool {
        guard let hash else { return holdsUnhashable }
        let (word, bits) = position(hash)
        return words[word] & bits == bits
    }

    /// Bytes of the bit array.
    public var memoryBytes: Int { wordCount * 8 }
}
