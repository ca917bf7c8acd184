/// What applying one delta did.
public struct DeltaEffect: Sendable, Equatable {
    /// Rows of the delta that set a name, and that deleted a key.
    public var upserts = 0
    public var tombstones = 0
    /// Keys whose answer from this source the delta changed (a new name, a deletion, a
    /// re-insert); zero when every row it returned was already in place.
    public var changedKeys = 0
    /// The source's live keys before and after.
    public var rowsBefore = 0
    public var rowsAfter = 0
    /// How the source's namespace changed, as a lookup sees it.
    public var diff: NamespaceDiff
    /// Entries and bytes of the source's new overlay.
    public var overlayEntries = 0
    public var overlayBytes = 0

    public init(namespace: String) { diff = NamespaceDiff(namespace: namespace, added: 0, removed: 0, changed: 0) }
}

extension Index {
    /// A new generation: this one with `delta` applied to `source`'s overlay.
    ///
    /// `delta` holds one entry per key the delta returned, its latest row: a name (an upsert) or
    /// an empty name (a tombstone). The new young level of the overlay is the delta's entries
    /// that change something against what lies below it (the older level, else the base), plus
    /// the old young level's entries for keys the delta did not return; the older level and the
    /// base are shared, never copied, and the filter is copied with the delta's keys added.
    /// A source with no overlay yet gets the delta's entries as its only level. Everything that depends on the keys (the source's live count, the
    /// shadowed counts of its namespace, the namespace's entries and diff) is updated from the
    /// delta's keys alone, so the work is the delta plus the old overlay, whatever the base's size.
    ///
    /// - Returns: nil when `source` is not in this generation.
    /// - Throws: ``KeyTableError`` when memory cannot be had.
    public func applying(
        delta: KeyTable, toSource source: String, watermark: String?, generation: UInt64, createdAtMicroseconds: UInt64
    ) throws -> (index: Index, effect: DeltaEffect)? {
        guard let position = sources.firstIndex(where: { $0.source == source }) else { return nil }
        let entry = sources[position]
        let positions = sources.indices.filter { sources[$0].namespace == entry.namespace }
        let layers = positions.map { sources[$0].layer }
        let s = positions.firstIndex(of: position)!
        let old = entry.layer
        var effect = DeltaEffect(namespace: entry.namespace)
        var shadowChange = [Int](repeating: 0, count: layers.count)
        var countChange = 0
        let builder = KeyTableBuilder()
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        try delta.forEachEntry { key, name in
            let deletes = name.isEmpty
            if deletes { effect.tombstones += 1 } else { effect.upserts += 1 }
            // What lies below the young level: the level a kept entry must differ from.
            let below = old.overlay == nil ? old.base.name(forKey: key) : old.answerBelowYoung(key)
            // What this source gave the key before: its overlay's answer, else the base's.
            let oldName: UnsafeRawBufferPointer?
            switch old.overlayAnswer(key) {
            case .name(let name)?: oldName = name
            case .deleted?, .absent?: oldName = nil
            case nil: oldName = old.base.name(forKey: key)
            }
            // The level keeps only what changes what lies below it: a tombstone of a key that
            // has a name there, an upsert of a name it does not give.
            if deletes {
                if below != nil { try builder.insert(key: key, name: empty) }
            } else if below.map({ !$0.elementsEqual(name) }) ?? true {
                try builder.insert(key: key, name: name)
            }
            countChange += (deletes ? 0 : 1) - (oldName != nil ? 1 : 0)
            switch (oldName, deletes) {
            case (nil, true): break
            case (let before?, false) where before.elementsEqual(name): break
            default: effect.changedKeys += 1
            }
            // The namespace's answer before and after, and who shadows whom.
            var answerBefore: UnsafeRawBufferPointer?
            var answerAfter: UnsafeRawBufferPointer?
            var earlierBefore = false
            var earlierAfter = false
            for j in layers.indices {
                let nameBefore = j == s ? oldName : layers[j].name(forKey: key)
                let nameAfter = j == s ? (deletes ? nil : name) : nameBefore
                if j >= s {
                    shadowChange[j] += (nameAfter != nil && earlierAfter ? 1 : 0) - (nameBefore != nil && earlierBefore ? 1 : 0)
                }
                if answerBefore == nil { answerBefore = nameBefore }
                if answerAfter == nil { answerAfter = nameAfter }
                earlierBefore = earlierBefore || nameBefore != nil
                earlierAfter = earlierAfter || nameAfter != nil
            }
            switch (answerBefore, answerAfter) {
            case (nil, .some): effect.diff.added += 1
            case (.some, nil): effect.diff.removed += 1
            case (.some(let a), .some(let b)) where !a.elementsEqual(b): effect.diff.changed += 1
            default: break
            }
        }
        // The entries the new level carries over: of the young level when there are two, else
        // of the only one (which this delta's entries then join).
        try (old.overlay == nil || old.young != nil ? (old.young ?? old.overlay) : nil)?.forEachEntry { key, name in
            if !delta.contains(key) { try builder.insert(key: key, name: name) }
        }
        let level = try builder.finish()
        let count = old.count + countChange
        let layer: SourceLayer
        if let older = old.overlay, let filter = old.filter {
            let total = older.count + level.count
            let union = OverlayFilter(copying: filter, adding: delta, hashedAs: old.base, total: total)
                ?? OverlayFilter([older, level], hashedAs: old.base, room: max(SourceLayer.youngMinimum, older.count / 4))
            layer = SourceLayer(base: old.base, overlay: older, young: level, filter: union, count: count)
        } else {
            layer = SourceLayer(base: old.base, overlay: level, count: count)
        }
        effect.rowsBefore = old.count
        effect.rowsAfter = layer.count
        effect.overlayEntries = layer.overlayEntries
        effect.overlayBytes = layer.overlayBytes
        var updated = sources
        for (j, p) in positions.enumerated() {
            let current = updated[p]
            updated[p] = SourceTable(
                source: current.source, namespace: current.namespace, layer: p == position ? layer : current.layer,
                shadowed: current.shadowed + shadowChange[j], watermark: p == position ? watermark : current.watermark)
        }
        return (Index(generation: generation, createdAtMicroseconds: createdAtMicroseconds, sources: updated), effect)
    }

    /// A new generation with `source`'s base replaced by `base` and its overlay gone: what
    /// compaction swaps in (`base` answers exactly what base and overlay did, so no count changes).
    public func replacingBase(of source: String, with base: KeyTable, generation: UInt64, createdAtMicroseconds: UInt64) -> Index? {
        replacingLayer(of: source, with: SourceLayer(base: base), generation: generation, createdAtMicroseconds: createdAtMicroseconds)
    }

    /// A new generation with `source`'s layer replaced by `layer`, which answers exactly what
    /// the old one did (compaction, a merge of the overlay's levels), so no count changes.
    public func replacingLayer(of source: String, with layer: SourceLayer, generation: UInt64, createdAtMicroseconds: UInt64) -> Index? {
        guard let position = sources.firstIndex(where: { $0.source == source }) else { return nil }
        var updated = sources
        let current = updated[position]
        updated[position] = SourceTable(
            source: current.source, namespace: current.namespace, layer: layer, shadowed: current.shadowed,
            watermark: current.watermark)
        return Index(generation: generation, createdAtMicroseconds: createdAtMicroseconds, sources: updated)
    }
}

/// What a full load found that the deltas had not built: the served layer (base and overlay)
/// against the freshly loaded table.
public struct Reconciliation: Sendable, Equatable {
    /// Keys the load has and the layer did not (inserts the deltas missed).
    public var missing = 0
    /// Keys the layer had and the load does not (deletes without a tombstone).
    public var extra = 0
    /// Keys with another name.
    public var changed = 0
    /// Up to ``exampleLimit`` of those keys, each with what happened to it (`-42`, `+7`, `~9`).
    public var examples: [String] = []

    public static let exampleLimit = 5

    public init() {}

    /// Compares `layer` with `loaded`: one pass over each, linear in their sizes.
    public init(layer: SourceLayer, loaded: KeyTable) {
        loaded.forEachEntry { key, name in
            switch layer.name(forKey: key) {
            case nil:
                missing += 1
                note("+", key)
            case let old? where !old.elementsEqual(name):
                changed += 1
                note("~", key)
            default: break
            }
        }
        layer.forEachEntry { key, _ in
            if !loaded.contains(key) {
                extra += 1
                note("-", key)
            }
        }
    }

    private mutating func note(_ mark: String, _ key: UnsafeRawBufferPointer) {
        guard examples.count < Self.exampleLimit else { return }
        examples.append(mark + String(decoding: key.prefix(64), as: UTF8.self))
    }
}
