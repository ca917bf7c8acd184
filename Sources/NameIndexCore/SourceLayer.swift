/// One source's rows in a generation: the base table its last full load built and, once
/// deltas have been applied, an overlay of what changed since, consulted first.
///
/// The overlay is made of ``KeyTable``s of its own (so they are hashed, laid out and saved
/// exactly as a base is) whose entries are upserts and tombstones: an entry with an empty name
/// is a tombstone, since no loaded row has an empty name. A key the overlay holds is answered
/// by the overlay alone, a tombstone hiding it in this source; any other key by the base.
///
/// The overlay has two levels, so that a delta never copies a large one: ``young``, what the
/// deltas since the levels were last merged changed, consulted first, and ``overlay``, the
/// older and larger level. A delta rebuilds the young level only; when it grows past a
/// quarter of the older one (``needsMerge``), the two are merged, off the delta's path. One
/// filter covers the keys of both.
public struct SourceLayer: Sendable {
    public let base: KeyTable
    /// The older level of the overlay.
    public let overlay: KeyTable?
    /// The younger level, consulted before ``overlay``; nil when there is none.
    public let young: KeyTable?
    /// Which keys the overlay's levels may hold; nil exactly when there is no overlay.
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
        self.young = nil
        self.filter = nil
        self.count = base.count
    }

    /// A layer whose live count is known (kept up to date delta by delta).
    public init(base: KeyTable, overlay: KeyTable?, count: Int) {
        self.base = base
        self.overlay = overlay.flatMap { $0.count == 0 ? nil : $0 }
        self.young = nil
        // Room for the young level deltas add beside it, up to the merge (``needsMerge``).
        self.filter = self.overlay.map { OverlayFilter([$0], hashedAs: base, room: max(Self.youngMinimum, $0.count / 4)) }
        self.count = count
    }

    /// A layer of both levels, with the filter of both.
    init(base: KeyTable, overlay: KeyTable, young: KeyTable?, filter: OverlayFilter, count: Int) {
        self.base = base
        self.overlay = overlay
        self.young = young.flatMap { $0.count == 0 ? nil : $0 }
        self.filter = filter
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

    /// Whether deltas have left an overlay.
    public var hasOverlay: Bool { filter != nil }
    /// Entries of the overlay's levels, upserts and tombstones.
    public var overlayEntries: Int { (overlay?.count ?? 0) + (young?.count ?? 0) }
    /// Bytes of the overlay's levels and filter.
    public var overlayBytes: Int { (overlay?.memoryBytes ?? 0) + (young?.memoryBytes ?? 0) + (filter?.memoryBytes ?? 0) }

    /// Whether the young level has grown past a quarter of the older one (and 64k entries),
    /// so that the two should be merged before deltas rebuild it again and again.
    public var needsMerge: Bool {
        guard let young, let overlay else { return false }
        return young.count > max(Self.youngMinimum, overlay.count / 4)
    }

    static let youngMinimum = 65_536
    /// Bytes of base and overlay.
    public var memoryBytes: Int { base.memoryBytes + overlayBytes }

    /// What the overlay says about `key`: nil when it does not hold it.
    @inlinable
    public func overlayAnswer(_ key: UnsafeRawBufferPointer) -> Answer? {
        overlayAnswer(key, baseHash: base.hash(of: key))
    }

    @inlinable
    func overlayAnswer(_ key: UnsafeRawBufferPointer, baseHash: UInt64?) -> Answer? {
        View(self).overlayAnswer(key, baseHash: baseHash)
    }

    /// The entry the overlay's levels hold for `key` (the young one first): a name, or empty
    /// for a tombstone; nil when neither holds it. The filter is the caller's to read first.
    @inlinable
    func levelName(_ key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? { View(self).levelName(key) }

    /// The layer's tables without ownership, for the lookup path: copying a view retains
    /// nothing, where copying a layer retains and releases each of its tables (atomic
    /// operations that cost more than a lookup's own work). Valid only while something owns
    /// the layer: an ``Index`` makes the views of its own layers.
    @usableFromInline
    struct View: @unchecked Sendable {  // immutable; its tables are owned by the layer it views
        @usableFromInline let base: Unmanaged<KeyTable>
        @usableFromInline let overlay: Unmanaged<KeyTable>?
        @usableFromInline let young: Unmanaged<KeyTable>?
        @usableFromInline let filter: Unmanaged<OverlayFilter>?

        @inlinable
        init(_ layer: SourceLayer) {
            base = .passUnretained(layer.base)
            overlay = layer.overlay.map { .passUnretained($0) }
            young = layer.young.map { .passUnretained($0) }
            filter = layer.filter.map { .passUnretained($0) }
        }

        @inlinable
        func overlayAnswer(_ key: UnsafeRawBufferPointer, baseHash: UInt64?) -> Answer? {
            guard let filter, filter._withUnsafeGuaranteedRef({ $0.mayContain(baseHash) }), let name = levelName(key) else { return nil }
            return name.isEmpty ? .deleted : .name(name)
        }

        /// The entry the levels hold for `key`, the young one first (see the layer's). Given
        /// `hashed`, the key's hash in a table of that kind (the base's), a level of that kind
        /// is probed with it instead of hashing the key again.
        @inlinable
        func levelName(_ key: UnsafeRawBufferPointer, hashed: (hash: UInt64, kind: KeyTable.KeyKind)? = nil) -> UnsafeRawBufferPointer? {
            func find(_ table: Unmanaged<KeyTable>) -> UnsafeRawBufferPointer? {
                table._withUnsafeGuaranteedRef { t in
                    let offset = if let hashed, t.keyKind == hashed.kind { t.find(key, hash: hashed.hash) } else { t.find(key) }
                    return offset.map { t.nameAt($0) }
                }
            }
            if let young, let name = find(young) { return name }
            return overlay.flatMap { find($0) }
        }

        /// What this source says about `key`; the key is read once, for the base and the filter.
        @inlinable
        func answer(_ key: UnsafeRawBufferPointer) -> Answer {
            base._withUnsafeGuaranteedRef { base in
                let probe = base.probe(of: key)
                if let answer = overlayAnswer(key, baseHash: probe?.hash) { return answer }
                guard let probe else { return .absent }
                return base.find(key, probe: probe).map { .name(base.nameAt($0)) } ?? .absent
            }
        }
    }

    /// What this source answered before its young level: the older level, else the base.
    func answerBelowYoung(_ key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        if let overlay, let offset = overlay.find(key) {
            let name = overlay.nameAt(offset)
            return name.isEmpty ? nil : name
        }
        return base.name(forKey: key)
    }

    /// What this source says about `key`; the key is hashed once, for the base and the filter.
    @inlinable
    public func answer(_ key: UnsafeRawBufferPointer) -> Answer { View(self).answer(key) }

    /// The name this source gives `key`, or nil.
    @inlinable
    public func name(forKey key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        if case .name(let name) = answer(key) { return name }
        return nil
    }

    /// Whether this source answers `key`.
    public func contains(_ key: UnsafeRawBufferPointer) -> Bool { name(forKey: key) != nil }

    /// Positions of ``forEachEntry(inBuckets:_:)``: the base's buckets, then each level's.
    public var bucketTotal: Int { base.bucketTotal + (overlay?.bucketTotal ?? 0) + (young?.bucketTotal ?? 0) }

    /// Calls `body` with every key this source answers and its name, each once: the base's
    /// entries no level holds, then the older level's upserts the young one does not hold,
    /// then the young level's upserts. Positions are stable for a given layer, so one is a cursor.
    public func forEachEntry(
        inBuckets range: Range<Int>, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        guard hasOverlay else { return try base.forEachEntry(inBuckets: range, body) }
        var start = 0
        for (table, level) in [(base, 0), (overlay, 1), (young, 2)] {
            guard let table else { continue }
            let part = range.clamped(to: start..<start + table.bucketTotal)
            defer { start += table.bucketTotal }
            guard !part.isEmpty else { continue }
            try table.forEachEntry(inBuckets: part.lowerBound - start..<part.upperBound - start) { key, name in
                switch level {
                case 0: if !(filter?.mayContain(base.hash(of: key)) ?? false) || levelName(key) == nil { try body(key, name) }
                case 1: if !name.isEmpty && young?.contains(key) != true { try body(key, name) }
                default: if !name.isEmpty { try body(key, name) }
                }
            }
        }
    }

    /// Calls `body` with every key this source answers and its name, each once.
    public func forEachEntry(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try forEachEntry(inBuckets: 0..<bucketTotal, body)
    }

    /// Whether two layers are the very same tables.
    public func isSame(as other: SourceLayer) -> Bool {
        base === other.base && overlay === other.overlay && young === other.young
    }

    /// Base and overlay merged into one new base (compaction): what this layer answers, with
    /// no overlay. Streams them into one builder (whose arena commits memory as it grows,
    /// never copying); the old tables are only read.
    ///
    /// - Throws: ``KeyTableError`` when memory cannot be had.
    public func compacted() throws -> KeyTable {
        guard hasOverlay else { return base }
        let builder = KeyTableBuilder()
        try forEachEntry { key, name in try builder.insert(key: key, name: name) }
        return try builder.finish()
    }

    /// The overlay's two levels as one (what a merge swaps in, and what a snapshot stores): the
    /// young level's entries that differ from the base, then the older level's other entries.
    ///
    /// - Throws: ``KeyTableError`` when memory cannot be had.
    public func mergedOverlay() throws -> KeyTable? {
        guard let young else { return overlay }
        let builder = KeyTableBuilder()
        try young.forEachEntry { key, name in
            let baseName = base.name(forKey: key)
            if name.isEmpty ? baseName != nil : baseName.map({ !$0.elementsEqual(name) }) ?? true {
                try builder.insert(key: key, name: name)
            }
        }
        try overlay?.forEachEntry { key, name in
            if !young.contains(key) { try builder.insert(key: key, name: name) }
        }
        return try builder.finish()
    }

    /// This layer with its overlay's levels merged into one: the same answers.
    public func merged() throws -> SourceLayer {
        young == nil ? self : SourceLayer(base: base, overlay: try mergedOverlay(), count: count)
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
    /// The number of words, as the multiplier that maps a hash to one (``position(_:range:)``).
    @usableFromInline let range: UInt64
    private let wordCount: Int
    /// Whether the overlay holds a key the base cannot (a text key beside an integer base):
    /// a lookup without a base hash must then ask the overlay itself.
    @usableFromInline let holdsUnhashable: Bool

    /// A filter of every key of `tables` (keys as text, as lookups give them), each hashed as
    /// `base` hashes keys, with room for `room` keys more.
    init(_ tables: [KeyTable], hashedAs base: KeyTable, room: Int = 0) {
        // 16 bits per key, any number of words: a power of two could double it (and a filter
        // the size of the L2 cache is what a lookup through an overlay pays for).
        wordCount = max(8, ((tables.map(\.count).reduce(0, +) + room) * 16 + 63) / 64)
        words = .allocate(capacity: wordCount)
        words.initialize(repeating: 0, count: wordCount)
        range = UInt64(wordCount)
        var unhashable = false
        let (words, range) = (self.words, self.range)
        for table in tables { table.forEachEntry { key, _ in unhashable = !Self.add(key, base, words, range) || unhashable } }
        holdsUnhashable = unhashable
    }

    /// A copy of `other` with the keys of `table` added; nil when `other` has no room for
    /// `total` keys at 16 bits each (a new one is built from the levels then).
    init?(copying other: OverlayFilter, adding table: KeyTable, hashedAs base: KeyTable, total: Int) {
        guard total * 16 <= other.wordCount * 64 else { return nil }
        wordCount = other.wordCount
        range = other.range
        words = .allocate(capacity: wordCount)
        words.update(from: other.words, count: wordCount)
        var unhashable = other.holdsUnhashable
        let (words, range) = (self.words, self.range)
        table.forEachEntry { key, _ in unhashable = !Self.add(key, base, words, range) || unhashable }
        holdsUnhashable = unhashable
    }

    /// Sets the bits of `key`; false when `base` cannot hash it.
    private static func add(_ key: UnsafeRawBufferPointer, _ base: KeyTable, _ words: UnsafeMutablePointer<UInt64>, _ range: UInt64) -> Bool {
        guard let hash = base.hash(of: key) else { return false }
        let (word, bits) = OverlayFilter.position(hash, range: range)
        words[word] |= bits
        return true
    }

    deinit { words.deallocate() }

    /// The word a hash picks (from its low 32 bits) and the two bits in it (from its top 12).
    @inlinable
    func position(_ hash: UInt64) -> (Int, UInt64) { OverlayFilter.position(hash, range: range) }

    @inlinable
    static func position(_ hash: UInt64, range: UInt64) -> (Int, UInt64) {
        // The word from the low 32 bits (multiply-shift onto 0..<range), the bits from the top 12.
        (Int(((hash & 0xFFFF_FFFF) &* range) >> 32), (1 << (hash >> 58)) | (1 << ((hash >> 52) & 63)))
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
