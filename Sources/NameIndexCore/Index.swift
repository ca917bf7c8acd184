import CNameIndexShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One immutable generation of the name index: every namespace with the
/// tables of the sources that feed it.
///
/// A namespace fed by several sources keeps one ``KeyTable`` per source, in
/// the order the sources are configured; a lookup answers from the first table
/// that holds the key, so the first-listed source wins a conflict no matter
/// which source finished fetching first. Keeping tables per source is also what
/// lets a failed source keep its previous rows: the next generation reuses
/// that source's table object.
public final class Index: Sendable {
    /// One source's contribution to a namespace.
    public struct SourceTable: Sendable {
        public let source: String
        public let namespace: String
        /// Its base table and, after deltas, their overlay.
        public let layer: SourceLayer
        /// Keys this source answers that a source listed earlier in the same namespace answers too.
        public let shadowed: Int
        /// The largest watermark its rows carried (its full load's `watermark_query`, then each
        /// delta's rows); nil for a source without deltas.
        public let watermark: String?

        public init(source: String, namespace: String, layer: SourceLayer, shadowed: Int, watermark: String? = nil) {
            self.source = source
            self.namespace = namespace
            self.layer = layer
            self.shadowed = shadowed
            self.watermark = watermark
        }

        public init(source: String, namespace: String, table: KeyTable, shadowed: Int) {
            self.init(source: source, namespace: namespace, layer: SourceLayer(base: table), shadowed: shadowed)
        }

        /// The base table.
        public var table: KeyTable { layer.base }
    }

    /// A namespace's name and the number of distinct keys it answers.
    public struct NamespaceSummary: Sendable, Equatable {
        public let name: String
        public let entries: Int

        public init(name: String, entries: Int) {
            self.name = name
            self.entries = entries
        }
    }

    struct Namespace: Sendable {
        let name: String
        let layers: [SourceLayer]
        let entries: Int
    }

    /// Counts up from 1 with each swap; 0 for an index that was never loaded.
    public let generation: UInt64
    /// When the generation was built, in microseconds since the Unix epoch.
    public let createdAtMicroseconds: UInt64
    /// Source tables in configuration order.
    public let sources: [SourceTable]
    let namespaces: [String: Namespace]
    /// The namespaces again, for the lookup path: a short list compares
    /// names faster than a dictionary hashes them, and no copy of a table list
    /// (with its reference counting) is made per lookup. `layers` is nil unless a
    /// source of the namespace has an overlay: then every lookup goes through it.
    @usableFromInline let lookupList: [(name: String, first: KeyTable, rest: [KeyTable], layers: [SourceLayer]?, views: [SourceLayer.View])]

    init(generation: UInt64, createdAtMicroseconds: UInt64, sources: [SourceTable], namespaces: [String: Namespace]) {
        self.generation = generation
        self.createdAtMicroseconds = createdAtMicroseconds
        self.sources = sources
        self.namespaces = namespaces
        // In byte order of the names, which namespaceSlot's binary search relies on.
        self.lookupList = namespaces.values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            .map { namespace in
                let bases = namespace.layers.map(\.base)
                let overlaid = namespace.layers.contains { $0.hasOverlay }
                return (
                    namespace.name, bases[0], Array(bases.dropFirst()), overlaid ? namespace.layers : nil,
                    overlaid ? namespace.layers.map(SourceLayer.View.init) : []
                )
            }
    }

    /// An index of `sources` whose shadowed counts are already known (a loaded snapshot).
    convenience init(generation: UInt64, createdAtMicroseconds: UInt64, sources: [SourceTable]) {
        var layers: [String: [SourceLayer]] = [:]
        var entries: [String: Int] = [:]
        for source in sources {
            layers[source.namespace, default: []].append(source.layer)
            entries[source.namespace, default: 0] += source.layer.count - source.shadowed
        }
        var namespaces: [String: Namespace] = [:]
        for (name, list) in layers { namespaces[name] = Namespace(name: name, layers: list, entries: entries[name] ?? 0) }
        self.init(generation: generation, createdAtMicroseconds: createdAtMicroseconds, sources: sources, namespaces: namespaces)
    }

    /// Bytes of all tables and overlays, as they are in memory and in a snapshot.
    public var memoryBytes: Int { sources.reduce(0) { $0 + $1.layer.memoryBytes } }

    /// An index with no namespaces.
    public static func empty(generation: UInt64 = 0, createdAtMicroseconds: UInt64 = 0) -> Index {
        Index(generation: generation, createdAtMicroseconds: createdAtMicroseconds, sources: [], namespaces: [:])
    }

    /// Namespaces sorted by name, with their entry counts.
    public var namespaceSummaries: [NamespaceSummary] {
        namespaces.values.map { NamespaceSummary(name: $0.name, entries: $0.entries) }.sorted { $0.name < $1.name }
    }

    /// Distinct keys over all namespaces.
    public var entryCount: Int { namespaces.values.reduce(0) { $0 + $1.entries } }

    /// Whether `namespace` exists in this generation.
    public func hasNamespace(_ namespace: String) -> Bool { namespaces[namespace] != nil }

    /// The base table that `source` contributed, if it is in this generation.
    public func table(forSource source: String) -> KeyTable? {
        sources.first { $0.source == source }?.table
    }

    /// What `source` contributed, if it is in this generation.
    public func sourceTable(_ source: String) -> SourceTable? {
        sources.first { $0.source == source }
    }

    /// The name bytes for `key` in `namespace`, or nil when either is absent.
    ///
    /// The buffer points into this index and is valid while the index is alive.
    @inlinable
    public func name(namespace: String, key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let slot = slot(of: namespace) else { return nil }
        return name(slot: slot, key: key)
    }

    /// Looks up `count` keys in `namespace`, all in this one generation, calling
    /// `result(i, name)` for each in order; batched so that cache misses overlap
    /// (``KeyTable/names(count:key:result:)``).
    ///
    /// - Returns: false, calling nothing, when the namespace does not exist.
    @discardableResult
    public func names(
        namespace: String, count: Int, key: (Int) -> UnsafeRawBufferPointer,
        result: (Int, UnsafeRawBufferPointer?) -> Void
    ) -> Bool {
        guard let slot = slot(of: namespace) else { return false }
        names(slot: slot, count: count, key: key, result: result)
        return true
    }

    /// The slot of `namespace`: a short list compares names faster than anything hashes
    /// them; a long one is searched by its bytes.
    @usableFromInline
    func slot(of namespace: String) -> Int? {
        if lookupList.count <= 16 { return lookupList.indices.first { lookupList[$0].name == namespace } }
        var name = namespace
        return name.withUTF8 { namespaceSlot(UnsafeRawBufferPointer($0)) }
    }

    /// Looks up every key in `namespace` in this one generation.
    ///
    /// - Returns: one name (or nil for a miss) per key, in order; nil when the
    ///   namespace does not exist.
    public func lookup(namespace: String, keys: [String]) -> [String?]? {
        // All keys in one buffer, valid for the whole batch.
        var bytes: [UInt8] = []
        var ends: [Int] = []
        ends.reserveCapacity(keys.count)
        for key in keys {
            bytes += key.utf8
            ends.append(bytes.count)
        }
        var answers = [String?](repeating: nil, count: keys.count)
        let found = bytes.withUnsafeBytes { all in
            names(
                namespace: namespace, count: keys.count,
                key: { i in UnsafeRawBufferPointer(rebasing: all[(i == 0 ? 0 : ends[i - 1])..<ends[i]]) }
            ) { i, name in
                answers[i] = name.map { String(decoding: $0, as: UTF8.self) }
            }
        }
        return found ? answers : nil
    }

    @usableFromInline
    func layers(of namespace: String) -> [SourceLayer]? { namespaces[namespace]?.layers }

    // MARK: Namespaces by position, for protocols that name them in bytes

    /// The number of namespaces; slots are `0..<namespaceCount`, in name order.
    public var namespaceCount: Int { lookupList.count }

    /// The slot of the namespace whose name is `name` (its UTF-8 bytes), or nil.
    public func namespaceSlot(_ name: UnsafeRawBufferPointer) -> Int? {
        var low = 0
        var high = lookupList.count
        // Names are sorted by their bytes (namespace names are ASCII): a binary search.
        while low < high {
            let middle = (low + high) / 2
            var candidate = lookupList[middle].name
            let order = candidate.withUTF8 { Index.compare(UnsafeRawBufferPointer($0), name) }
            if order == 0 { return middle }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// The name of the namespace in `slot`.
    public func namespaceName(slot: Int) -> String { lookupList[slot].name }

    /// The distinct keys of the namespace in `slot`.
    public func entries(slot: Int) -> Int { namespaces[lookupList[slot].name]?.entries ?? 0 }

    /// The sources' layers of the namespace in `slot`, first source first.
    public func layers(slot: Int) -> [SourceLayer] { namespaces[lookupList[slot].name]?.layers ?? [] }

    /// The name for `key` in the namespace in `slot`, or nil (the first source that answers it
    /// answers; a tombstone in a source's overlay leaves the key to the sources after it).
    @inlinable
    public func name(slot: Int, key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        if lookupList[slot].layers != nil { return Index.first(inViews: lookupList[slot].views, from: 0, key: key) }
        if let name = lookupList[slot].first.name(forKey: key) { return name }
        for j in lookupList[slot].rest.indices {
            if let name = lookupList[slot].rest[j].name(forKey: key) { return name }
        }
        return nil
    }

    /// Looks up `count` keys in the namespace in `slot`, batched as ``names(namespace:count:key:result:)``.
    public func names(
        slot: Int, count: Int, key: (Int) -> UnsafeRawBufferPointer, result: (Int, UnsafeRawBufferPointer?) -> Void
    ) {
        if let layers = lookupList[slot].layers {
            Index.names(in: layers, views: lookupList[slot].views, count: count, key: key, result: result)
            return
        }
        let first = lookupList[slot].first
        let rest = lookupList[slot].rest
        if rest.isEmpty {
            first.names(count: count, key: key, result: result)
        } else {
            first.names(count: count, key: key) { i, name in result(i, name ?? Index.first(in: rest, key: key(i))) }
        }
    }

    /// Byte-wise order of two names: negative, zero or positive.
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = min(a.count, b.count)
        if common > 0 {
            let order = memcmp(a.baseAddress!, b.baseAddress!, common)
            if order != 0 { return Int(order) }
        }
        return a.count - b.count
    }

    /// Batched lookups through sources with overlays: the first source's base is looked up in a
    /// batch, its overlay's levels prefetched for the keys its filter lets through; the sources
    /// after it are consulted per key.
    ///
    /// Per group of keys, a stage apart each: the base hashes a key and the filter word of that
    /// hash is prefetched with its bucket; once the base has prefetched the group's entries the
    /// filter is read (pass 0), and for a key it lets through the home bucket of each level
    /// hashed as the base is prefetched, then (pass 1) that bucket's entry; the results come
    /// last, so a key in the overlay costs no more serial cache misses than one in the base.
    static func names(
        in layers: [SourceLayer], views: [SourceLayer.View], count: Int, key: (Int) -> UnsafeRawBufferPointer,
        result: (Int, UnsafeRawBufferPointer?) -> Void
    ) {
        let first = layers[0]
        guard let filter = first.filter else {
            first.base.names(count: count, key: key) { i, name in result(i, name ?? Index.first(inViews: views, from: 1, key: key(i))) }
            return
        }
        let view = views[0]
        let kind = first.base.header.kind
        // The levels whose hash is the base's (not a text level beside an integer base).
        let young = view.young.flatMap { $0._withUnsafeGuaranteedRef { $0.header.kind } == kind ? $0 : nil }
        let older = view.overlay.flatMap { $0._withUnsafeGuaranteedRef { $0.header.kind } == kind ? $0 : nil }
        let group = KeyTable.batchGroup
        // Per key of the group: its hash in the base, whether it has one (the base may not be
        // able to hold the key), and whether the filter lets it through. Three flat buffers:
        // one buffer of tuples measured 10-20 ns per key slower in batches (two runs).
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: group) { hashes in
            withUnsafeTemporaryAllocation(of: Bool.self, capacity: group) { hashed in
            withUnsafeTemporaryAllocation(of: Bool.self, capacity: group) { maybe in
                first.base.names(
                    count: count, key: key,
                    hashed: { i, hash in
                        hashes[i % group] = hash ?? 0
                        hashed[i % group] = hash != nil
                        if let hash { nameindex_prefetch(filter.words + filter.position(hash).0) }
                    },
                    stages: 2,
                    staged: { i, pass in
                        let slot = i % group
                        if pass == 0 {
                            maybe[slot] = filter.mayContain(hashed[slot] ? hashes[slot] : nil)
                            guard maybe[slot], hashed[slot] else { return }
                            young?._withUnsafeGuaranteedRef { $0.prefetchHome(hashes[slot]) }
                            older?._withUnsafeGuaranteedRef { $0.prefetchHome(hashes[slot]) }
                        } else {
                            guard maybe[slot], hashed[slot] else { return }
                            young?._withUnsafeGuaranteedRef { $0.prefetchEntry(hashes[slot]) }
                            older?._withUnsafeGuaranteedRef { $0.prefetchEntry(hashes[slot]) }
                        }
                    }
                ) { i, baseName in
                    let slot = i % group
                    if maybe[slot], let name = view.levelName(key(i), hashed: hashed[slot] ? (hashes[slot], kind) : nil) {
                        result(i, name.isEmpty ? Index.first(inViews: views, from: 1, key: key(i)) : name)
                    } else {
                        result(i, baseName ?? Index.first(inViews: views, from: 1, key: key(i)))
                    }
                }
            }
            }
        }
    }

    /// The name the first of `layers` that answers `key` gives it.
    @usableFromInline
    static func first(inLayers layers: [SourceLayer], from start: Int, key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        for i in start..<layers.count {
            if case .name(let name) = layers[i].answer(key) { return name }
        }
        return nil
    }

    /// As ``first(inLayers:from:key:)``, through the layers' views (which copy without retaining).
    @usableFromInline
    static func first(inViews views: [SourceLayer.View], from start: Int, key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        views.withUnsafeBufferPointer { views in
            for i in start..<views.count {
                if case .name(let name) = views[i].answer(key) { return name }
            }
            return nil
        }
    }

    @usableFromInline
    static func first(in tables: some Collection<KeyTable>, key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        for table in tables {
            if let offset = table.find(key) { return table.nameAt(offset) }
        }
        return nil
    }
}
