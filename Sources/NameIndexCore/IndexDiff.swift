/// How one namespace changed from one generation to the next.
public struct NamespaceDiff: Sendable, Equatable {
    public var namespace: String
    /// Keys the new generation has and the old one had not.
    public var added: Int
    /// Keys the old generation had and the new one has not.
    public var removed: Int
    /// Keys in both whose name differs.
    public var changed: Int

    public init(namespace: String, added: Int, removed: Int, changed: Int) {
        self.namespace = namespace
        self.added = added
        self.removed = removed
        self.changed = changed
    }
}

extension Index {
    /// Per namespace (sorted by name), what changed from `old` to this generation.
    ///
    /// A namespace whose tables and overlays are the very same objects in both (its sources
    /// were not fetched, or failed and kept their rows) is unchanged without a look at its entries;
    /// any other is compared entry by entry, each key as a lookup answers it.
    public func diff(from old: Index) -> [NamespaceDiff] {
        let names = Set(namespaces.keys).union(old.namespaces.keys)
        return names.sorted().map { namespace in
            let newLayers = layers(of: namespace) ?? []
            let oldLayers = old.layers(of: namespace) ?? []
            let oldEntries = old.namespaces[namespace]?.entries ?? 0
            if newLayers.count == oldLayers.count && zip(newLayers, oldLayers).allSatisfy({ $0.isSame(as: $1) }) {
                return NamespaceDiff(namespace: namespace, added: 0, removed: 0, changed: 0)
            }
            var added = 0
            var changed = 0
            var same = 0
            for (position, layer) in newLayers.enumerated() {
                let earlier = newLayers[..<position]
                layer.forEachEntry { key, name in
                    // A key an earlier source answers is answered from there.
                    if earlier.contains(where: { $0.contains(key) }) { return }
                    guard let oldName = Index.first(inLayers: oldLayers, from: 0, key: key) else {
                        added += 1
                        return
                    }
                    if oldName.elementsEqual(name) { same += 1 } else { changed += 1 }
                }
            }
            return NamespaceDiff(namespace: namespace, added: added, removed: oldEntries - same - changed, changed: changed)
        }
    }
}
