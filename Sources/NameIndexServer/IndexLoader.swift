import Logging
import NameIndexCore
import NameIndexProtocol
import NameIndexSources

/// The result of fetching one source.
struct SourceOutcome: Sendable {
    let source: String
    /// The freshly built table; nil when the fetch failed.
    var table: KeyTable?
    var skipped = SkipCounts()
    /// Why the fetch failed, for people; nil on success.
    var error: String?
    var duration: Duration = .zero
}

/// Fetches every source concurrently and assembles the next ``Index``.
///
/// Each source streams into its own ``KeyTableBuilder``; the tables are then
/// merged in configuration order by ``IndexBuilder``. A source that fails
/// contributes its table from `previous`, if it had one, so its rows keep
/// serving (stale) instead of vanishing.
struct IndexLoader: Sendable {
    let sources: [any Source]
    /// The guards of each source, in the same order.
    let guards: [Configuration.Guards]
    let logger: Logger

    func load(previous: Index?, generation: UInt64, createdAt: UInt64) async -> (Index, [SourceOutcome]) {
        let outcomes = await withTaskGroup(of: (Int, SourceOutcome).self) { group in
            for (position, source) in sources.enumerated() {
                let earlier = previous?.table(forSource: source.name)?.count
                let guards = self.guards[position]
                let generation = previous?.generation ?? 0
                group.addTask {
                    var outcome = await fetch(source)
                    if let rows = outcome.table?.count,
                        let failure = Self.guardFailure(rows: rows, previous: earlier, of: generation, guards: guards)
                    {
                        outcome.table = nil
                        outcome.error = failure
                        logger.error(
                            "Source '\(source.name)' \(failure); keeping its previous rows.",
                            metadata: ["source": "\(source.name)", "namespace": "\(source.namespace)"])
                    }
                    return (position, outcome)
                }
            }
            var results = [SourceOutcome?](repeating: nil, count: sources.count)
            for await (position, outcome) in group { results[position] = outcome }
            return results.map { $0! }
        }
        var builder = IndexBuilder(generation: generation, createdAtMicroseconds: createdAt)
        for (source, outcome) in zip(sources, outcomes) {
            if let table = outcome.table ?? previous?.table(forSource: source.name) {
                builder.add(source: source.name, namespace: source.namespace, table: table)
            }
        }
        return (builder.build(), outcomes)
    }

    /// Why `rows` fails the guards, or nil when they pass.
    static func guardFailure(rows: Int, previous: Int?, of generation: UInt64, guards: Configuration.Guards) -> String? {
        if rows < guards.minRows {
            return "returned \(HumanFormat.count(rows, "row")), fewer than min_rows = \(HumanFormat.count(guards.minRows))"
        }
        if let limit = guards.maxShrink, let previous, previous > 0, rows < previous {
            let shrink = Double(previous - rows) / Double(previous)
            if shrink > limit {
                return "returned \(HumanFormat.count(rows, "row")), \(Int((shrink * 100).rounded()))% fewer than the "
                    + "\(HumanFormat.count(previous)) of generation \(generation) (max_shrink = \(Int((limit * 100).rounded()))%)"
            }
        }
        return nil
    }

    private func fetch(_ source: any Source) async -> SourceOutcome {
        var logger = logger
        logger[metadataKey: "source"] = "\(source.name)"
        logger[metadataKey: "namespace"] = "\(source.namespace)"
        let clock = ContinuousClock()
        let start = clock.now
        let builder = KeyTableBuilder()
        var outcome = SourceOutcome(source: source.name)
        do {
            var skipped = SkipCounts()
            try await source.fetch(.whole) { batch in
                try builder.add(batch)
                skipped += batch.skipped
            }
            outcome.skipped = skipped
            outcome.table = builder.build()
            outcome.duration = clock.now - start
            logger.info(
                "Fetched source '\(source.name)': \(HumanFormat.count(outcome.table!.count, "row")), \(HumanFormat.count(skipped.total, "row")) skipped, \(HumanFormat.count(outcome.table!.duplicates, "duplicate key")) in \(HumanFormat.duration(microseconds: outcome.duration.microseconds)).",
                metadata: ["rows": "\(outcome.table!.count)"])
        } catch is CancellationError {
            outcome.error = "cancelled"
            outcome.duration = clock.now - start
        } catch {
            outcome.error = "\(error)"
            outcome.duration = clock.now - start
            logger.error("Failed to fetch source '\(source.name)': \(error)")
        }
        return outcome
    }
}
