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
    public func build() -> Index { build(shadowExamples: 0).index }

    /// Builds the index, and keeps the first `limit` shadowed keys of each source as skipped
    /// rows (reason `shadowed`, with the earlier source that holds the key).
    public func build(shadowExamples limit: Int) -> (index: Index, shadowed: [String: [SkippedRow]]) {
        var layersByNamespace: [String: [(source: String, layer: SourceLayer)]] = [:]
        var result: [Index.SourceTable] = []
        var examples: [String: [SkippedRow]] = [:]
        for (source, namespace, layer, watermark) in sources {
            let earlier = layersByNamespace[namespace, default: []]
            var shadowed = 0
            var found: [SkippedRow] = []
            if !earlier.isEmpty {
                layer.forEachEntry { key, name in
                    guard let holder = earlier.first(where: { $0.layer.contains(key) }) else { return }
                    shadowed += 1
                    if found.count < limit {
                        var row = SkippedRow(reason: .shadowed)
                        row.key = Array(key.prefix(SkippedRow.maximumRawBytes))
                        row.raw = Array((Array(key) + [0x09] + Array(name)).prefix(SkippedRow.maximumRawBytes))
                        row.rawBytes = key.count + 1 + name.count
                        row.shadowedBy = holder.source
                        found.append(row)
                    }
                }
            }
            if !found.isEmpty { examples[source] = found }
            layersByNamespace[namespace, default: []].append((source, layer))
            result.append(.init(source: source, namespace: namespace, layer: layer, shadowed: shadowed, watermark: watermark))
        }
        return (Index(generation: generation, createdAtMicroseconds: createdAtMicroseconds, sources: result), examples)
    }
}
