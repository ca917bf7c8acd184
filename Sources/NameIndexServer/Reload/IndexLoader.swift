import Logging
import NameIndexCore
import NameIndexProtocol
import NameIndexSources

/// Fetches every source concurrently and assembles the next ``Index``.
///
/// Each source streams into its own ``KeyTableBuilder``; the tables are then
/// merged in configuration order by ``IndexBuilder``. A source that fails
/// contributes its table from `previous`, if it had one, so its rows keep
/// serving (stale) instead of vanishing.
struct IndexLoader: Sendable {
    /// One configured source: what fetches it, how, and what its rows must pass.
    struct SourcePlan: Sendable {
        let source: any Source
        let fetch: FetchPolicy
        let guards: Configuration.Guards
        /// How often its change check runs; nil: never.
        var checkInterval: Duration? = nil
        /// Its deltas; nil: it has none.
        var delta: Configuration.Delta? = nil

        /// The source's deltas, when it has a delta query.
        var deltaSource: (any DeltaFetching)? { delta == nil ? nil : source as? any DeltaFetching }
    }

    /// The sources in configuration (priority) order.
    let plans: [SourcePlan]
    let runner: FetchRunner
    let logger: Logger

    /// The plans for `configuration`'s sources.
    static func plans(for configuration: Configuration) -> [SourcePlan] {
        configuration.sources.map {
            .init(
                source: $0.settings.value.makeSource(name: $0.name, namespace: $0.namespace), fetch: $0.fetch,
                guards: $0.guards, checkInterval: $0.checkInterval, delta: $0.delta)
        }
    }

    /// Fetches `only` those sources (nil: all); the others keep their tables from `previous`.
    func load(previous: Index?, generation: UInt64, createdAt: UInt64, only: Set<String>? = nil) async
        -> (Index, [SourceOutcome])
    {
        let outcomes = await withTaskGroup(of: (Int, SourceOutcome).self) { group in
            for (position, plan) in plans.enumerated() {
                let source = plan.source
                if let only, !only.contains(source.name) {
                    group.addTask { (position, SourceOutcome(source: source.name, fetched: false)) }
                    continue
                }
                let earlier = previous?.sourceTable(source.name)?.layer.count
                let generation = previous?.generation ?? 0
                let checked = plan.checkInterval != nil
                group.addTask {
                    // Read before the fetch: a change after it is seen by the next check.
                    let checkValue = checked ? try? await source.changeToken() : nil
                    // Where its deltas start: read just before the fetch, unless the fetch reads
                    // it in its own snapshot. A change in between is read again by the first delta.
                    var watermark: String?
                    if let delta = plan.deltaSource, !delta.readsWatermarkInLoad {
                        switch await runner.startingWatermark(source, delta, policy: plan.fetch) {
                        case .success(let value): watermark = value
                        case .failure(let failure):
                            var outcome = SourceOutcome(source: source.name)
                            outcome.error = "reading its watermark: \(failure.message)"
                            outcome.failure = .watermark
                            return (position, outcome)
                        }
                    }
                    var outcome = await fetch(source, policy: plan.fetch)
                    if plan.delta == nil { outcome.watermark = nil } else if watermark != nil { outcome.watermark = watermark }
                    outcome.checkValue = checkValue
                    if let rows = outcome.table?.count,
                        let failure = Self.guardFailure(rows: rows, previous: earlier, of: generation, guards: plan.guards)
                    {
                        outcome.table = nil
                        outcome.error = failure
                        outcome.failure = .guardTrip
                        logger.error(
                            "Source '\(source.name)' \(failure); keeping its previous rows.",
                            metadata: ["source": "\(source.name)", "namespace": "\(source.namespace)"])
                    }
                    return (position, outcome)
                }
            }
            var results = [SourceOutcome?](repeating: nil, count: plans.count)
            for await (position, outcome) in group { results[position] = outcome }
            return results.map { $0! }
        }
        var builder = IndexBuilder(generation: generation, createdAtMicroseconds: createdAt)
        for (source, outcome) in zip(plans.map(\.source), outcomes) {
            if let table = outcome.table {
                builder.add(source: source.name, namespace: source.namespace, layer: SourceLayer(base: table), watermark: outcome.watermark)
            } else if let kept = previous?.sourceTable(source.name) {
                // Not fetched, or failed: its base, overlay and watermark serve on.
                builder.add(source: source.name, namespace: source.namespace, layer: kept.layer, watermark: kept.watermark)
            }
        }
        let (index, shadowed) = builder.build(shadowExamples: runner.skippedSample)
        var marked = outcomes
        for i in marked.indices { marked[i].shadowedRows = shadowed[marked[i].source] ?? [] }
        return (index, marked)
    }

    /// Why `rows` fails the guards, or nil when they pass.
    /// `verb` says what gave the rows: a load "returned" them, a delta "would leave" them.
    static func guardFailure(
        rows: Int, previous: Int?, of generation: UInt64, guards: Configuration.Guards, verb: String = "returned"
    ) -> String? {
        if rows < guards.minRows {
            return "\(verb) \(HumanFormat.count(rows, "row")), fewer than min_rows = \(HumanFormat.count(guards.minRows))"
        }
        if let limit = guards.maxShrink, let previous, previous > 0, rows < previous {
            let shrink = Double(previous - rows) / Double(previous)
            if shrink > limit {
                return "\(verb) \(HumanFormat.count(rows, "row")), \(Int((shrink * 100).rounded()))% fewer than the "
                    + "\(HumanFormat.count(previous)) of generation \(generation) (max_shrink = \(Int((limit * 100).rounded()))%)"
            }
        }
        return nil
    }

    private func fetch(_ source: any Source, policy: FetchPolicy) async -> SourceOutcome {
        let outcome = await runner.fetch(source, policy: policy)
        if let table = outcome.table {
            logger.info(
                "Fetched source '\(source.name)': \(HumanFormat.count(table.count, "row")), \(HumanFormat.count(outcome.skipped.total, "row")) skipped, \(HumanFormat.count(table.duplicates, "duplicate key")) in \(HumanFormat.duration(microseconds: outcome.duration.microseconds)).",
                metadata: ["source": "\(source.name)", "namespace": "\(source.namespace)", "rows": "\(table.count)"])
        }
        return outcome
    }
}
