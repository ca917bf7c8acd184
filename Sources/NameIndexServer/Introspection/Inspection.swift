import NameIndexCore
import NameIndexProtocol

/// The replies of `Misses` and `Explain`: read from the serving generation, the lookup
/// counters and `Status`, off the lookup path.
enum Inspection {
    /// The most missed keys of `namespace` that `index` still does not answer, at most `limit`.
    static func misses(namespace: String, limit: Int?, index: Index, counters: LookupCounters) async -> IndexInterface.MissesReply? {
        guard index.hasNamespace(namespace) else { return nil }
        let sample = await counters.misses(namespace)
        var keys: [IndexInterface.MissedKey] = []
        let wanted = max(0, limit ?? Int.max)
        for entry in sample.entries where keys.count < wanted {
            // A key a delta or reload has since added is no longer missing.
            let answered = !entry.truncated && entry.key.withUnsafeBytes { index.name(namespace: namespace, key: $0) != nil }
            if answered { continue }
            keys.append(
                .init(
                    key: EscapedBytes.text(entry.key), truncated: entry.truncated, count: entry.count, error: entry.error,
                    firstSeenUSec: entry.firstSeenUSec, lastSeenUSec: entry.lastSeenUSec))
        }
        return .init(
            namespace: namespace, capacity: sample.capacity, sinceUSec: sample.sinceUSec, misses: sample.total,
            distinct: sample.distinct, keys: keys, generation: index.generation)
    }

    /// Every source of `namespace` in lookup order and what it says about `key`.
    static func explain(namespace: String, key: String, index: Index, status: IndexInterface.StatusReply) -> IndexInterface.ExplainReply? {
        guard index.hasNamespace(namespace) else { return nil }
        let statuses = Dictionary(status.sources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let keyText = EscapedBytes.text(Array(key.utf8))
        var answeredBy: String?
        var answer: String?
        var sources: [IndexInterface.ExplainSource] = []
        let bytes = Array(key.utf8)
        for table in index.sources where table.namespace == namespace {
            let source = statuses[table.source]
            var explained = IndexInterface.ExplainSource(source: table.source, kind: source?.kind ?? "", answer: .absent)
            let partitions = source?.fetch?.partitions?.count ?? 1
            explained.partitions = partitions
            bytes.withUnsafeBytes { key in
                if let overlay = table.layer.overlayAnswer(key) {
                    switch overlay {
                    case .name(let name):
                        explained.answer = .overlay
                        explained.name = String(decoding: name, as: UTF8.self)
                        explained.loadedAtUSec = source?.delta?.lastUSec
                    case .deleted, .absent:
                        explained.answer = .deleted
                        explained.loadedAtUSec = source?.delta?.lastUSec
                    }
                } else if let name = table.layer.base.name(forKey: key) {
                    explained.answer = .name
                    explained.name = String(decoding: name, as: UTF8.self)
                    explained.loadedAtUSec = source?.lastSuccessUSec
                    if partitions == 1 { explained.partition = "1 of 1" }
                }
            }
            explained.skipped = (source?.skippedRows ?? []).filter { $0.key == keyText }
            if answeredBy == nil, let name = explained.name {
                answeredBy = table.source
                answer = name
            }
            sources.append(explained)
        }
        return .init(
            namespace: namespace, key: key, generation: index.generation, generationCreatedAtUSec: index.createdAtMicroseconds,
            answeredBy: answeredBy, name: answer, sources: sources)
    }
}
