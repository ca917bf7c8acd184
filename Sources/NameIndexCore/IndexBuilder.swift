/// Assembles an ``Index`` from per-source tables given in priority order.
///
/// The builder is where the merge rule lives: tables are added in the order
/// the sources are configured, and a key found in an earlier table of the same
/// namespace shadows it in every later one (counted in
/// ``Index/SourceTable/shadowed``).
public struct IndexBuilder {
    private var sources: [(source: String, namespace: String, layer: SourceLayer, watermark: String?)] = []
    private let generation: UInt64
    private let createdAtMicroseconds: UInt64

    public init(generation: UInt64, createdAtMicroseconds: UInt64) {
        self.generation = generation
        self.createdAtMicroseconds = createdAtMicroseconds
    }

    /// Adds `source`'s table to `namespace`, after all tables added so far.
    public mutating func add(source: String, namespace: String, table: KeyTable) {
        add(source: source, namespace: namespace, layer: SourceLayer(base: table))
    }

    /// Adds `source`'s base and overlay to `namespace`, after all sources added so far.
    public mutating func add(source: String, namespace: String, layer: SourceLayer, watermark: String? = nil) {
        precondition(!sources.contains { $0.source == source }, "source '\(source)' added twice")
        sources.append((source, namespace, layer, watermark))
    }

    /// Builds the index, counting keys that earlier sources shadow.
    public func build() -> Index {
        var layersByNamespace: [String: [SourceLayer]] = [:]
        var result: [Index.SourceTable] = []
        for (source, namespace, layer, watermark) in sources {
            let earlier = layersByNamespace[namespace, default: []]
            var shadowed = 0
            if !earlier.isEmpty {
                layer.forEachEntry { key, _ in
                    if earlier.contains(where: { $0.contains(key) }) { shadowed += 1 }
                }
            }
            layersByNamespace[namespace, default: []].append(layer)
            result.append(.init(source: source, namespace: namespace, layer: layer, shadowed: shadowed, watermark: watermark))
        }
        return Index(generation: generation, createdAtMicroseconds: createdAtMicroseconds, sources: result)
    }
}
