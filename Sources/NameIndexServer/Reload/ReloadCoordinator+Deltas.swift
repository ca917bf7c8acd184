import NameIndexCore
import NameIndexProtocol

/// The coordinator's other work besides full loads: the job queue the ``ReloadService`` takes
/// from, deltas and their timers, compactions, the snapshot deltas leave due, and `Status`.
extension ReloadCoordinator {
    /// The next piece of work for the ``ReloadService``, which runs one at a time: a full load
    /// first, then deltas, then compactions, then a snapshot that deltas left due.
    enum Job: Sendable, Equatable {
        case full(Set<String>)
        case delta(Set<String>)
        case compact(Set<String>)
        case snapshot
    }

    /// Takes the next job; nil when nothing is queued.
    func takeJob() -> Job? {
        if let full = takeRequest() { return .full(full) }
        if let delta = pendingDelta {
            pendingDelta = nil
            runningDelta = delta
            runningDeltaTrigger = pendingDeltaTrigger
            deltaWaiters += pendingDeltaWaiters
            pendingDeltaWaiters = []
            return .delta(delta)
        }
        if !pendingCompaction.isEmpty {
            defer { pendingCompaction = [] }
            return .compact(pendingCompaction)
        }
        if pendingSnapshot {
            pendingSnapshot = false
            return .snapshot
        }
        return nil
    }

    /// The reply to `Status`, for the generation `index`.
    func status(index: Index?, version: String) -> IndexInterface.StatusReply {
        var reply = IndexInterface.StatusReply(
            state: state,
            generation: index?.generation ?? 0,
            entries: index?.entryCount ?? 0,
            startedAtUSec: startedAtUSec,
            loadedAtUSec: loadedAtUSec,
            loadDurationUSec: loadDurationUSec,
            version: version,
            indexBytes: index?.memoryBytes ?? 0,
            servingSnapshot: servingSnapshot,
            snapshot: snapshot,
            snapshotError: snapshotWriteError ?? snapshotLoadError,
            namespaces: index?.namespaceSummaries.map { .init(name: $0.name, entries: $0.entries) } ?? [],
            sources: sources.map { source in
                var source = source
                source.fetch = board.progress(of: source.name)
                let next = scheduler.next(source.name)
                source.nextReloadUSec = next?.atUSec
                source.nextReloadReason = next.map { "\($0.reason)" }
                return source
            })
        reply.changes = changes
        reply.changesFrom = changesFrom
        for i in reply.sources.indices {
            let name = reply.sources[i].name
            // Deltas since the load may have ended a shadowing: show only those that still hold.
            let shadowed = (shadowedRows[name] ?? []).filter { row in
                guard let key = row.key, let holder = row.shadowedBy, let index else { return false }
                return key.withUnsafeBytes { key in
                    index.sourceTable(holder)?.layer.contains(key) == true && index.sourceTable(name)?.layer.contains(key) == true
                }
            }
            let rows = (loadSkippedRows[name] ?? []) + shadowed
            reply.sources[i].skippedRows = rows.isEmpty ? nil : rows.map(IndexInterface.SkippedRow.init)
        }
        for i in reply.sources.indices where reply.sources[i].delta != nil {
            let name = reply.sources[i].name
            let layer = index?.sourceTable(name)
            reply.sources[i].delta?.watermark = layer?.watermark
            reply.sources[i].delta?.overlayRows = layer?.layer.overlayEntries ?? 0
            reply.sources[i].delta?.overlayBytes = layer?.layer.overlayBytes ?? 0
            reply.sources[i].delta?.nextDeltaUSec = deltaScheduler.next(name)?.atUSec
            reply.sources[i].delta?.running = runningDelta?.contains(name) ?? false
            reply.sources[i].delta?.queued = pendingDelta?.contains(name) ?? false
        }
        return reply
    }

    /// Asks for a delta of `sources` (nil: every source with a delta query); the ticket follows
    /// the delta that answers it. Joins the running delta when it covers them.
    func delta(sources: Set<String>? = nil, trigger: String = "control") -> ReloadTicket {
        let (ticket, continuation) = ReloadTicket.make()
        if stopped {
            continuation.yield(.finished(.failure(.shuttingDown)))
            continuation.finish()
            return ticket
        }
        let wanted = sources ?? deltaSources
        if let runningDelta, wanted.isSubset(of: runningDelta) {
            deltaWaiters.append(continuation)
            follow(continuation)
        } else {
            pendingDeltaWaiters.append(continuation)
            if pendingDelta == nil { pendingDeltaTrigger = trigger }
            pendingDelta = (pendingDelta ?? []).union(wanted)
            wakeup.yield()
        }
        return ticket
    }

    /// Asks for a delta of `sources` without waiting (the delta timer).
    func requestDeltaInBackground(sources: Set<String>) {
        guard !stopped, !sources.isEmpty else { return }
        if let runningDelta, sources.isSubset(of: runningDelta) { return }
        if pendingDelta == nil { pendingDeltaTrigger = "timer" }
        pendingDelta = (pendingDelta ?? []).union(sources)
        wakeup.yield()
    }

    /// Records that the delta taken by ``takeJob()`` starts.
    func deltaStarted(sources started: Set<String>) {
        for name in started {
            deltaScheduler.started(name)
            board.queued(name)
        }
        for waiter in deltaWaiters { follow(waiter) }
    }

    /// What a delta did to one source.
    struct DeltaOutcome: Sendable {
        let source: String
        /// Set when it was applied, or read and found to change nothing.
        var effect: DeltaEffect?
        /// Why it failed or was refused.
        var error: String?
        var duration: Duration = .zero
    }

    /// Records a finished delta: `index` serves (nil: the delta made no new generation).
    @discardableResult
    func deltaFinished(_ outcomes: [DeltaOutcome], index: Index?, serving: Index?, duration: Duration, at now: UInt64) -> Outcome {
        var failed: [String] = []
        var reasons: [String] = []
        for outcome in outcomes {
            guard let i = sources.firstIndex(where: { $0.name == outcome.source }), sources[i].delta != nil else { continue }
            deltaScheduler.loaded(outcome.source, at: now, failed: false)
            sources[i].delta?.lastUSec = now
            sources[i].delta?.lastDurationUSec = outcome.duration.microseconds
            if let error = outcome.error {
                failed.append(outcome.source)
                reasons.append("source '\(outcome.source)': \(error)")
                sources[i].delta?.lastError = error
                sources[i].delta?.lastErrorUSec = now
                continue
            }
            sources[i].delta?.lastError = nil
            let effect = outcome.effect
            sources[i].delta?.lastUpserts = effect?.upserts
            sources[i].delta?.lastTombstones = effect?.tombstones
            sources[i].delta?.lastChanged = effect?.changedKeys
            if let index, let effect, effect.changedKeys > 0 || index.sourceTable(outcome.source)?.watermark != serving?.sourceTable(outcome.source)?.watermark {
                sources[i].delta?.lastGeneration = index.generation
                sources[i].delta?.applied += 1
                sources[i].rows = index.sourceTable(outcome.source)?.layer.count ?? sources[i].rows
                sources[i].bytes = index.sourceTable(outcome.source)?.layer.memoryBytes ?? sources[i].bytes
                sources[i].shadowed = index.sourceTable(outcome.source)?.shadowed ?? sources[i].shadowed
            } else {
                sources[i].delta?.lastGeneration = nil
            }
        }
        if let index {
            // Every source of a namespace the delta touched may have new shadow counts.
            for i in sources.indices { if let entry = index.sourceTable(sources[i].name) { sources[i].shadowed = entry.shadowed } }
        }
        runningDelta = nil
        let current = index ?? serving
        let result: Outcome =
            failed.isEmpty
            ? .success(.init(generation: current?.generation ?? 0, entries: current?.entryCount ?? 0, durationUSec: duration.microseconds))
            : .failure(
                .reloadFailed(
                    reason: "Delta failed for " + reasons.joined(separator: "; "), generation: current?.generation ?? 0,
                    failedSources: failed))
        let answered = deltaWaiters
        deltaWaiters = []
        board.stopWatching()
        for waiter in answered {
            waiter.yield(.finished(result))
            waiter.finish()
        }
        return result
    }

    /// Queues a compaction of `source`'s overlay.
    func requestCompaction(_ source: String) {
        guard !stopped else { return }
        pendingCompaction.insert(source)
        wakeup.yield()
    }

    /// Records a compaction of `source` into a base of `rows` rows.
    func compacted(_ source: String, rows: Int, duration: Duration, at now: UInt64) {
        guard let i = sources.firstIndex(where: { $0.name == source }) else { return }
        sources[i].delta?.lastCompactionUSec = now
        sources[i].delta?.lastCompactionDurationUSec = duration.microseconds
        sources[i].delta?.lastCompactionRows = rows
    }

    /// Records what the full load of `source` found against what its deltas had built.
    func reconciled(_ source: String, _ result: Reconciliation, at now: UInt64) {
        guard let i = sources.firstIndex(where: { $0.name == source }) else { return }
        sources[i].delta?.reconciliation = .init(
            atUSec: now, missing: result.missing, extra: result.extra, changed: result.changed, examples: result.examples)
    }

    /// Deltas changed the serving generation at `now`: true when its snapshot is to be written
    /// at once; otherwise it is left due `interval` after the last write, for ``queueSnapshotIfDue(at:)``.
    func snapshotAfterDelta(at now: UInt64, interval: Duration) -> Bool {
        guard let last = lastSnapshotWriteUSec, interval > .zero else { return true }
        let due = last + interval.microseconds
        if due <= now { return true }
        snapshotDueUSec = snapshotDueUSec ?? due
        return false
    }

    /// Runs `write` in the background after the write before it, if one still runs.
    func enqueueSnapshotWrite(_ write: @escaping @Sendable () async -> Void) {
        let previous = snapshotTask
        snapshotTask = Task {
            await previous?.value
            await write()
        }
    }

    /// The background snapshot write, to wait for before writing in the foreground.
    func pendingSnapshotWrite() -> Task<Void, Never>? { snapshotTask }

    /// Queues the snapshot deltas left due, once its time has come.
    func queueSnapshotIfDue(at now: UInt64) {
        guard !stopped, let due = snapshotDueUSec, due <= now else { return }
        snapshotDueUSec = nil
        pendingSnapshot = true
        wakeup.yield()
    }

    // MARK: Snapshots and changes

    /// Records what the last swap changed against generation `from`.
    func recordChanges(_ diff: [NamespaceDiff], from: UInt64) {
        changes = diff.map { .init(namespace: $0.namespace, added: $0.added, removed: $0.removed, changed: $0.changed) }
        changesFrom = from
    }

    /// Records a snapshot written after a reload.
    func snapshotWritten(_ written: IndexInterface.Snapshot, at now: UInt64 = 0) {
        snapshot = written
        snapshotWriteError = nil
        lastSnapshotWriteUSec = now
        snapshotDueUSec = nil
    }

    /// Records why the snapshot could not be served at start.
    func snapshotIgnored(_ reason: String) {
        snapshotLoadError = reason
    }

    /// Records why a snapshot could not be written.
    func snapshotWriteFailed(_ reason: String) {
        snapshotWriteError = reason
    }
}
