import Foundation
import NIOPosix
import NameIndexSources
import Logging
import NameIndexCore
import NameIndexProtocol
import ServiceLifecycle
import Systemd
import UnixSignals

/// Runs the loads: the first one at start-up, then one per request
/// (`Reload` on the control socket, SIGHUP), one at a time.
///
/// It owns SIGHUP. Around a SIGHUP reload it tells systemd `RELOADING=1` with
/// `MONOTONIC_USEC=`, and after every load `READY=1` with a new `STATUS=`,
/// whatever the outcome. On graceful shutdown a running load is cancelled and
/// the serving generation is left as it is.
struct ReloadService: Service {
    let coordinator: ReloadCoordinator
    let store: Store
    let loader: IndexLoader
    let notifier: Notifier
    let clock: WallClock
    let logger: Logger
    /// Where the snapshot of the serving generation lives; nil to keep none.
    var snapshotPath: String?
    /// The lock on the state directory, held while the service lives (nil: no snapshot).
    var stateLock: StateDirectoryLock?
    /// Where blocking work runs (reading, writing and fsyncing the snapshot, the diff of
    /// two generations): never the cooperative pool that serves the sockets and the
    /// watchdog probe, which a multi-GB write on one core would otherwise starve.
    var blockingPool: NIOThreadPool = .singleton
    /// Whether a reload fits in the cgroup's memory beside the serving generation.
    var memoryBudget = MemoryBudget()
    /// The configuration's ``Configuration/sourceFingerprint``.
    var fingerprint: UInt64 = 0
    /// Whether to fetch at once after starting from a snapshot.
    var refreshOnStart = true
    /// What the metrics count as it happens.
    var events = MetricEvents()
    /// The lookup socket's counters: a full reload resets their samples of missed keys.
    var counters: LookupCounters?
    /// After a delta, the snapshot is rewritten at most once per this (`snapshot_interval`).
    var snapshotInterval: Duration = ConfigurationDefaults.snapshotInterval

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await watchSignals() }
            group.addTask { await runTimers() }
            for plan in loader.plans {
                if let interval = plan.checkInterval { group.addTask { await runChecks(plan.source, every: interval) } }
            }
            let warm = await warmStart()
            await loadLoop(loadFirst: !warm || refreshOnStart)
            group.cancelAll()
        }
    }

    /// Serves the snapshot, if there is a good one; true when it serves.
    private func warmStart() async -> Bool {
        guard let path = snapshotPath else { return false }
        guard FileManager.default.fileExists(atPath: path) else {
            logger.info("No snapshot at \(path); fetching from the sources.")
            return false
        }
        let opened: (index: Index, metadata: SnapshotFile.Metadata)
        do {
            let fingerprint = self.fingerprint
            opened = try await blockingPool.runIfActive { try SnapshotFile.open(path: path, fingerprint: fingerprint) }
        } catch {
            logger.warning("Ignoring snapshot \(error); fetching from the sources.")
            await coordinator.snapshotIgnored("Ignored \(error)")
            return false
        }
        let index = opened.index
        store.swap(index)
        await coordinator.servedSnapshot(index, path: path, bytes: opened.metadata.fileBytes, at: clock.now())
        let age = HumanFormat.ago(index.createdAtMicroseconds, now: clock.now())
        var summary =
            "Serving snapshot of generation \(index.generation) from \(HumanFormat.timestamp(microseconds: index.createdAtMicroseconds)) (\(age))"
        summary += refreshOnStart ? "; refreshing…" : "."
        logger.info("\(summary)", metadata: ["generation": "\(index.generation)"])
        notifier.notify(.ready, .status(summary))
        return true
    }

    /// Writes the serving generation as the snapshot, on the blocking pool, once a background
    /// write still running has ended; a failure is logged and shown in status, not fatal.
    func writeSnapshot(_ index: Index) async {
        await coordinator.pendingSnapshotWrite()?.value
        await writeSnapshotNow(index)
    }

    /// Writes the serving generation's snapshot in the background (after any write before it),
    /// so that deltas go on while a whole index is written.
    func writeSnapshotInBackground() async {
        guard snapshotPath != nil else { return }
        let service = self
        await coordinator.enqueueSnapshotWrite {
            if let index = service.store.current { await service.writeSnapshotNow(index) }
        }
    }

    private func writeSnapshotNow(_ index: Index) async {
        guard let path = snapshotPath else { return }
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let fingerprint = self.fingerprint
            let bytes = try await blockingPool.runIfActive {
                let directory = (path as NSString).deletingLastPathComponent
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
                return try SnapshotFile.write(index, fingerprint: fingerprint, to: path)
            }
            events.snapshotWritten(clock.now - started)
            await coordinator.snapshotWritten(
                .init(path: path, generation: index.generation, createdAtUSec: index.createdAtMicroseconds, bytes: bytes),
                at: self.clock.now())
            logger.info(
                "Wrote snapshot of generation \(index.generation) to \(path) (\(HumanFormat.count(bytes)) bytes) in \(HumanFormat.duration(microseconds: (clock.now - started).microseconds)).")
        } catch {
            logger.warning("Failed to write snapshot: \(error), ignoring.")
            await coordinator.snapshotWriteFailed("Failed to write \(error)")
        }
    }

    /// The longest the timer loop sleeps, in microseconds: a second, or a tenth of the shortest
    /// `delta_interval` (at least 10 ms), since a delta scheduled while it sleeps is seen only
    /// when it wakes.
    private var timerTick: UInt64 {
        let shortest = loader.plans.compactMap { $0.delta?.interval?.microseconds }.min() ?? 10_000_000
        return min(1_000_000, max(10_000, shortest / 10))
    }

    /// Reloads the sources whose timer (or retry after a failure) is due; checks at least once a second.
    private func runTimers() async {
        while !Task.isCancelled {
            let now = clock.now()
            let due = await coordinator.queueDueTimers(at: now)
            if !due.isEmpty {
                logger.info("Reloading \(due.sorted().map { "'\($0)'" }.joined(separator: ", ")) (scheduled).")
            }
            let wait = await coordinator.earliestDue.map { $0 > now ? $0 - now : 0 } ?? 1_000_000
            try? await ReloadScheduler.sleep(for: .microseconds(Int64(min(max(wait, 10_000), timerTick))))
        }
    }

    /// How often the first load reports progress, and how far each report extends systemd's
    /// start timeout (`EXTEND_TIMEOUT_USEC=`) when rows arrived since the last one.
    static let progressTick = Duration.seconds(2)
    static let extendTimeout: UInt64 = 10_000_000

    private func reportFirstLoad() async {
        var lastRows = -1
        while !Task.isCancelled {
            let (rows, text) = loader.runner.board.loadingSummary(loader.plans.map(\.source.name))
            var states: [Notifier.State] = [.status("Loading: \(HumanFormat.count(rows)) rows" + (text.isEmpty ? "" : " (\(text))"))]
            if rows > lastRows { states.append(.extendTimeout(microseconds: Self.extendTimeout)) }
            lastRows = rows
            notifier.notify(states)
            do { try await ReloadScheduler.sleep(for: Self.progressTick) } catch { return }
        }
    }

    /// Reads `source`'s change check every `interval`; a new value reloads the source.
    private func runChecks(_ source: any Source, every interval: Duration) async {
        while !Task.isCancelled {
            do { try await ReloadScheduler.sleep(for: interval) } catch { return }
            var value: String?
            var failure: String?
            do {
                value = try await source.changeToken()
            } catch {
                failure = "\(error)"
                logger.warning("Change check of source '\(source.name)' failed: \(error)", metadata: ["source": "\(source.name)"])
            }
            if await coordinator.checked(source.name, value: value, error: failure, at: clock.now()) {
                logger.info("Source '\(source.name)' changed (check: \(value ?? "")), reloading it.", metadata: ["source": "\(source.name)"])
                await coordinator.requestReloadInBackground(sources: [source.name], trigger: "check")
            }
        }
    }

    private func watchSignals() async {
        for await _ in await UnixSignalsSequence(trapping: .sighup) {
            logger.info("Received SIGHUP, reloading.")
            notifier.notify(.reloading(monotonicMicroseconds: Notifier.monotonicMicroseconds()), .status("Reloading…"))
            await coordinator.requestReloadInBackground()
        }
    }

    private func loadLoop(loadFirst: Bool) async {
        if loadFirst { await loadCancellingOnShutdown(sources: nil) }
        for await _ in coordinator.wakeups.cancelOnGracefulShutdown() {
            // One wake-up may stand for several jobs: run them all, one at a time.
            while !Task.isCancelled, let job = await coordinator.takeJob() {
                switch job {
                case .full(let sources): await loadCancellingOnShutdown(sources: sources)
                case .delta(let sources): await cancelWhenGracefulShutdown { await delta(sources: sources) }
                case .compact(let sources): await cancelWhenGracefulShutdown { await compact(sources: sources) }
                case .snapshot: await writeSnapshotInBackground()
                }
            }
        }
        // A snapshot being written after a delta is finished, not left half done.
        await coordinator.pendingSnapshotWrite()?.value
        await coordinator.stop()
        // Callers still waiting for a first generation get an answer instead of waiting forever.
        store.close()
    }

    private func loadCancellingOnShutdown(sources: Set<String>?) async {
        // A shutdown or a CancelReload cancels the load's task; load() sees the cancellation and
        // records it. The task is the load's own so that CancelReload can cancel it directly.
        let task = Task { await load(sources: sources) }
        await coordinator.loadCancellable { task.cancel() }
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        }
    }

    /// One load: fetch everything, swap the new generation in, report.
    private func load(sources: Set<String>?) async {
        await coordinator.loadStarted(sources: sources)
        let previous = store.current
        if let previous, let refusal = memoryBudget.refusal(servingBytes: previous.memoryBytes) {
            // Starting would risk the OOM killer ending the serving generation with the new one.
            let fetched = sources ?? coordinator.allSources
            let outcomes = loader.plans.map {
                SourceOutcome(source: $0.source.name, error: fetched.contains($0.source.name) ? refusal : nil, fetched: fetched.contains($0.source.name))
            }
            let reason = "Not reloading: \(refusal); generation \(previous.generation) keeps serving"
            await recordLoad([], outcome: "refused")
            await coordinator.loadAborted(outcomes: outcomes, reason: reason, generation: previous.generation, at: clock.now())
            logger.error("\(reason).", metadata: ["generation": "\(previous.generation)"])
            notifier.notify(.ready, .status(Self.summary(index: previous, failed: outcomes.filter { $0.error != nil }.count)))
            return
        }
        let generation = (previous?.generation ?? 0) + 1
        if previous == nil { notifier.notify(.status("Loading…")) }
        let started = ContinuousClock.now
        // With nothing serving yet, systemd waits for READY=1: show progress, and keep extending
        // its start timeout as long as rows keep arriving (a stuck load still times out).
        let reporter = previous == nil ? Task { await reportFirstLoad() } : nil
        defer { reporter?.cancel() }
        let (index, outcomes) = await loader.load(
            previous: previous, generation: generation, createdAt: clock.now(),
            only: sources == coordinator.allSources ? nil : sources)
        if Task.isCancelled {
            await recordLoad(outcomes, outcome: "cancelled")
            await coordinator.loadCancelled(generation: previous?.generation ?? 0, at: clock.now())
            logger.notice("Reload cancelled, generation \(previous?.generation ?? 0) keeps serving.")
            // Whatever the outcome, a reload (SIGHUP's RELOADING=1) ends with READY=1.
            if let previous { notifier.notify(.ready, .status(Self.summary(index: previous, failed: 0))) }
            return
        }
        // A failed source with on_failure = "fail" refuses the whole load.
        let fatal = zip(outcomes, loader.plans).filter { $0.0.error != nil && $0.1.guards.onFailure == .fail }.map(\.0)
        if let previous, !fatal.isEmpty {
            // on_failure = "fail": nothing of this load is applied; the previous generation keeps serving.
            let reason =
                "Failed to fetch " + fatal.map { "source '\($0.source)': \($0.error ?? "")" }.joined(separator: "; ")
                + "; the reload was not applied (on_failure = fail) and generation \(previous.generation) keeps serving"
            await recordLoad(outcomes, outcome: "aborted")
            await coordinator.loadAborted(outcomes: outcomes, reason: reason, generation: previous.generation, at: clock.now())
            logger.error("\(reason).", metadata: ["generation": "\(previous.generation)"])
            notifier.notify(.ready, .status(Self.summary(index: previous, failed: fatal.count)))
            return
        }
        store.swap(index)
        counters?.resetMisses()
        let duration = ContinuousClock.now - started
        await recordLoad(outcomes, outcome: outcomes.contains { $0.error != nil } ? "failure" : "success")
        let outcome = await coordinator.loadFinished(
            index: index, outcomes: outcomes, duration: duration, at: clock.now())
        let summary = Self.summary(index: index, failed: outcomes.filter { $0.error != nil }.count)
        var generationLogger = logger
        generationLogger[metadataKey: "generation"] = "\(index.generation)"
        switch outcome {
        case .success:
            generationLogger.info(
                "Generation \(index.generation) is serving \(HumanFormat.count(index.entryCount, "name")), loaded in \(HumanFormat.duration(microseconds: duration.microseconds)).")
            // Ready as soon as it serves; the snapshot is written after.
            notifier.notify(.ready, .status(summary))
            await writeSnapshot(index)
        case .failure(let failure):
            // The per-source errors were logged where they happened; this is the summary.
            generationLogger.warning(
                "Generation \(index.generation) is serving \(HumanFormat.count(index.entryCount, "name")); \(failure.reply.parameters["reason"]?.stringValue ?? "a source failed"), keeping its previous rows.")
            notifier.notify(.ready, .status(summary))
            // The snapshot records what serves, failed sources' kept rows included, so that a
            // restart while a source keeps failing does not go back to an older generation.
            await writeSnapshot(index)
        }
        if let previous {
            await recordChanges(index, from: previous)
            await reconcile(index, from: previous, outcomes: outcomes)
        }
    }

    /// Counts a full load that ended as `outcome`, and each source it fetched, in the metrics.
    private func recordLoad(_ outcomes: [SourceOutcome], outcome: String) async {
        events.reloaded(kind: "full", trigger: await coordinator.runningTrigger, outcome: outcome)
        for source in outcomes where source.fetched {
            events.fetched(
                source: source.source, duration: source.duration, skipped: SkipCountsView(source.skipped),
                failure: source.error == nil ? nil : source.failure ?? .fetch)
        }
    }

    /// Compares the new generation with the one it replaced, per namespace; after the swap and
    /// the reply, since it reads every entry of the namespaces whose tables changed.
    func recordChanges(_ index: Index, from previous: Index) async {
        guard let diff = try? await blockingPool.runIfActive({ index.diff(from: previous) }) else { return }
        await coordinator.recordChanges(diff, from: previous.generation)
        let text = diff.map { d in
            d.added + d.removed + d.changed == 0 ? "\(d.namespace) unchanged" : "\(d.namespace) +\(d.added) −\(d.removed) ~\(d.changed)"
        }.joined(separator: ", ")
        logger.info("Generation \(index.generation) against \(previous.generation): \(text).", metadata: ["generation": "\(index.generation)"])
    }

    /// The one-line `STATUS=` summary, e.g. `Serving 12,345 names in 3 namespaces (generation 1)`.
    static func summary(index: Index, failed: Int) -> String {
        let namespaces = index.namespaceSummaries.count
        var text =
            "Serving \(HumanFormat.count(index.entryCount, "name")) in \(HumanFormat.count(namespaces, "namespace")) (generation \(index.generation))"
        if failed > 0 { text += "; \(HumanFormat.count(failed, "source")) failed" }
        return text
    }
}
