import Logging
import NameIndexCore
import NameIndexProtocol

/// The ``ReloadService``'s work between full loads: deltas, compactions, and the reconciliation
/// of a full load with what the deltas had built.
extension ReloadService {
    /// Compares each freshly loaded source that has deltas with what its deltas had built
    /// (its layer in `previous`), and reports what they had missed.
    func reconcile(_ index: Index, from previous: Index, outcomes: [SourceOutcome]) async {
        for (plan, outcome) in zip(loader.plans, outcomes) where plan.delta != nil && outcome.fetched && outcome.table != nil {
            let name = plan.source.name
            guard let before = previous.sourceTable(name)?.layer, let after = index.sourceTable(name)?.layer.base else { continue }
            guard let result = try? await blockingPool.runIfActive({ Reconciliation(layer: before, loaded: after) }) else { return }
            let summary = IndexInterface.Reconciliation(atUSec: 0, missing: result.missing, extra: result.extra, changed: result.changed, examples: []).summary
            let examples = result.examples.isEmpty ? "" : " (e.g. \(result.examples.joined(separator: " ")))"
            let text = "Full reload of '\(name)': \(summary)\(examples)."
            let metadata: Logger.Metadata = ["source": "\(name)", "generation": "\(index.generation)"]
            if result.missing + result.extra + result.changed > 0 { logger.notice("\(text)", metadata: metadata) } else { logger.info("\(text)", metadata: metadata) }
            // After the journal line, so that whoever sees it in Status finds it there too.
            await coordinator.reconciled(name, result, at: clock.now())
        }
    }

    /// One delta: each source's rows changed since its watermark, fetched at once, applied in
    /// configuration order to the serving generation's overlays, and swapped in as one new
    /// generation when any of them changed something.
    func delta(sources: Set<String>) async {
        let plans = loader.plans.filter { sources.contains($0.source.name) && $0.deltaSource != nil }
        await coordinator.deltaStarted(sources: Set(plans.map(\.source.name)))
        let started = ContinuousClock.now
        let serving = store.current
        var outcomes = plans.map { ReloadCoordinator.DeltaOutcome(source: $0.source.name) }
        // Sources asked for by name that have no delta query.
        for name in sources.sorted() where !plans.contains(where: { $0.source.name == name }) {
            outcomes.append(.init(source: name, error: "it has no delta query"))
        }
        var fullReloads: Set<String> = []
        let fetched = await withTaskGroup(of: (Int, Result<DeltaCollector, FetchRunner.PartitionFailure>?, Duration).self) { group in
            for (position, plan) in plans.enumerated() {
                let name = plan.source.name
                guard let table = serving?.sourceTable(name) else {
                    outcomes[position].error = "it has not been loaded yet (a full load comes first)"
                    continue
                }
                guard let watermark = table.watermark else {
                    // No watermark (an empty table at the last load): only a full load knows where to start.
                    fullReloads.insert(name)
                    continue
                }
                let since = Watermark.lagged(watermark, by: plan.delta!.lag)
                let runner = loader.runner
                group.addTask {
                    let clock = ContinuousClock()
                    let start = clock.now
                    let result = await runner.fetchDelta(plan.source, plan.deltaSource!, since: since, policy: plan.fetch)
                    return (position, result, clock.now - start)
                }
            }
            var results: [(Int, Result<DeltaCollector, FetchRunner.PartitionFailure>?, Duration)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }
        }
        var next = serving
        let generation = (serving?.generation ?? 0) + 1
        let now = clock.now()
        var compact: [String] = []
        for (position, result, duration) in fetched {
            let plan = plans[position]
            let name = plan.source.name
            outcomes[position].duration = duration
            guard let current = next, let result else { continue }
            let collector: DeltaCollector
            switch result {
            case .failure(let failure):
                outcomes[position].error = failure.message
                continue
            case .success(let value): collector = value
            }
            do {
                let old = current.sourceTable(name)?.watermark
                let watermark = Watermark.later(old, collector.maximumWatermark)
                let applied = try await blockingPool.runIfActive {
                    try current.applying(
                        delta: try collector.table(), toSource: name, watermark: watermark, generation: generation, createdAtMicroseconds: now)
                }
                guard let (candidate, effect) = applied else { continue }
                outcomes[position].effect = effect
                if let refusal = IndexLoader.guardFailure(
                    rows: effect.rowsAfter, previous: effect.rowsBefore, of: current.generation, guards: plan.guards, verb: "would leave")
                {
                    outcomes[position].error = "delta refused: it \(refusal)"
                    logger.error(
                        "Delta of source '\(name)' refused: it \(refusal); generation \(current.generation) keeps serving it.",
                        metadata: ["source": "\(name)"])
                    continue
                }
                if effect.changedKeys == 0 && watermark == old { continue }
                next = candidate
                let layer = candidate.sourceTable(name)!.layer
                if layer.needsMerge || Double(layer.overlayEntries) > plan.delta!.compactAbove * Double(max(layer.base.count, 1)) {
                    compact.append(name)
                }
                logger.info(
                    "Delta of source '\(name)': \(HumanFormat.count(effect.upserts, "upsert")), \(HumanFormat.count(effect.tombstones, "tombstone")), \(HumanFormat.count(effect.changedKeys, "key")) changed, \(HumanFormat.count(collector.skipped.total, "row")) skipped in \(HumanFormat.duration(microseconds: duration.microseconds)); watermark \(watermark ?? "none").",
                    metadata: ["source": "\(name)", "generation": "\(generation)"])
            } catch {
                outcomes[position].error = "\(error)"
            }
        }
        for outcome in outcomes where outcome.error != nil {
            logger.error("Delta of source '\(outcome.source)' failed: \(outcome.error!)", metadata: ["source": "\(outcome.source)"])
            events.failed(source: outcome.source, reason: .delta)
        }
        events.reloaded(
            kind: "delta", trigger: await coordinator.runningDeltaTrigger,
            outcome: outcomes.contains { $0.error != nil } ? "failure" : "success")
        let changed = next.map { n in serving.map { n.generation != $0.generation } ?? false } ?? false
        if changed, let next { store.swap(next) }
        await coordinator.deltaFinished(
            outcomes, index: changed ? next : nil, serving: serving, duration: ContinuousClock.now - started, at: clock.now())
        if !fullReloads.isEmpty {
            logger.info(
                "Source\(fullReloads.count == 1 ? "" : "s") \(fullReloads.sorted().map { "'\($0)'" }.joined(separator: ", ")) had no watermark at the last load; reloading in full.")
            await coordinator.requestReloadInBackground(sources: fullReloads, trigger: "watermark")
        }
        guard changed, let next, let serving else { return }
        notifier.notify(.status(Self.summary(index: next, failed: 0)))
        var diffs: [String: NamespaceDiff] = [:]
        for effect in outcomes.compactMap(\.effect) {
            var d = diffs[effect.diff.namespace] ?? NamespaceDiff(namespace: effect.diff.namespace, added: 0, removed: 0, changed: 0)
            d.added += effect.diff.added
            d.removed += effect.diff.removed
            d.changed += effect.diff.changed
            diffs[effect.diff.namespace] = d
        }
        await coordinator.recordChanges(diffs.values.sorted { $0.namespace < $1.namespace }, from: serving.generation)
        for name in compact { await coordinator.requestCompaction(name) }
        if await coordinator.snapshotAfterDelta(at: clock.now(), interval: snapshotInterval) { await writeSnapshotInBackground() }
    }

    /// Compacts each source's overlay into a new base when it has passed `compact_above`, else
    /// merges its two levels when the young one has grown large; on the blocking pool while
    /// lookups go on, then swaps in the result: the same answers, from fewer tables.
    func compact(sources: Set<String>) async {
        var changed = false
        for plan in loader.plans where sources.contains(plan.source.name) {
            let name = plan.source.name
            guard let current = store.current, let layer = current.sourceTable(name)?.layer, layer.hasOverlay else { continue }
            let compacting = Double(layer.overlayEntries) > (plan.delta?.compactAbove ?? 0) * Double(max(layer.base.count, 1))
            guard compacting || layer.needsMerge else { continue }
            let clock = ContinuousClock()
            let started = clock.now
            let replacement: SourceLayer
            do {
                replacement = try await blockingPool.runIfActive { compacting ? SourceLayer(base: try layer.compacted()) : try layer.merged() }
            } catch {
                logger.error(
                    "\(compacting ? "Compaction" : "Merging the overlay") of source '\(name)' failed: \(error); its overlay keeps serving.",
                    metadata: ["source": "\(name)"])
                continue
            }
            guard !Task.isCancelled, store.current?.generation == current.generation,
                let next = current.replacingLayer(
                    of: name, with: replacement, generation: current.generation + 1, createdAtMicroseconds: self.clock.now())
            else { continue }
            store.swap(next)
            changed = true
            let duration = clock.now - started
            let took = HumanFormat.duration(microseconds: duration.microseconds)
            let metadata: Logger.Metadata = ["source": "\(name)", "generation": "\(next.generation)"]
            if compacting {
                logger.info(
                    "Compacted source '\(name)': \(HumanFormat.count(layer.overlayEntries, "overlay row")) into a base of \(HumanFormat.count(replacement.base.count, "row")) in \(took) (generation \(next.generation)).",
                    metadata: metadata)
                // After the journal line, as for reconciliation.
                await coordinator.compacted(name, rows: replacement.base.count, duration: duration, at: self.clock.now())
            } else {
                logger.info(
                    "Merged the overlay levels of source '\(name)' into \(HumanFormat.count(replacement.overlayEntries, "row")) in \(took) (generation \(next.generation)).",
                    metadata: metadata)
            }
        }
        if changed, await coordinator.snapshotAfterDelta(at: clock.now(), interval: snapshotInterval) {
            await writeSnapshotInBackground()
        }
    }
}
