import NameIndexCore
import NameIndexSources

/// Collects every row of a partitioned fetch: prepare once, then all partitions at once.
func fetchAll(_ source: any Source, partitions: Int) async throws -> (rows: [[String]], skipped: SkipCounts, notices: [String]) {
    let fetcher = try await source.prepare(partitions: partitions)
    do {
        let all = try await fetchPartitions(fetcher, partitions: partitions)
        await fetcher.finish()
        return all
    } catch {
        await fetcher.finish()
        throw error
    }
}

private func fetchPartitions(_ fetcher: any PartitionFetcher, partitions: Int) async throws -> (rows: [[String]], skipped: SkipCounts, notices: [String]) {
    try await withThrowingTaskGroup(of: ([[String]], SkipCounts, [String]).self) { group in
        for index in 0..<partitions {
            group.addTask {
                var rows: [[String]] = []
                var skipped = SkipCounts()
                var notices: [String] = []
                try await fetcher.fetch(Partition(index: index, of: partitions)) { batch in
                    skipped += batch.skipped
                    notices += batch.notices
                    batch.forEach { k, n in rows.append([String(decoding: k, as: UTF8.self), String(decoding: n, as: UTF8.self)]) }
                }
                return (rows, skipped, notices)
            }
        }
        var all: [[String]] = []
        var skipped = SkipCounts()
        var notices: [String] = []
        for try await (rows, s, n) in group {
            all += rows
            skipped += s
            notices += n
        }
        return (all, skipped, notices)
    }
}

/// Sorted, so two fetches compare as multisets: a row fetched twice shows up twice.
func sortedRows(_ rows: [[String]]) -> [[String]] {
    rows.sorted { $0.lexicographicallyPrecedes($1) }
}
