import NameIndexCore
import NameIndexProtocol

/// The one owner of reload state: the daemon's state, every source's status,
/// and the callers waiting for a reload.
///
/// Reloads are single-flight: ``requestReload()`` while a load runs joins
/// that load and gets its outcome; no second load starts for it. The
/// ``ReloadService`` runs the loads; this actor only records and answers.
actor ReloadCoordinator {
    typealias Outcome = Result<IndexInterface.ReloadReply, IndexInterface.Failure>

    private(set) var state: IndexInterface.DaemonState = .starting
    var sources: [IndexInterface.SourceStatus]
    var loadedAtUSec: UInt64?
    var servingSnapshot = false
    var snapshot: IndexInterface.Snapshot?
    /// Why the snapshot was not served at start (kept: it explains the start-up).
    var snapshotLoadError: String?
    /// Why the last snapshot write failed (cleared by the next good write).
    var snapshotWriteError: String?
    var loadDurationUSec: UInt64?
    let startedAtUSec: UInt64
    /// Tickets of the running load, and of the one follow-up queued behind it.
    private var waiters: [AsyncStream<ReloadTicket.Event>.Continuation] = []
    private var pendingWaiters: [AsyncStream<ReloadTicket.Event>.Continuation] = []
    /// The sources the running load fetches.
    private var running: Set<String> = []
    /// The sources of the follow-up load, queued while one runs; nil when none is queued.
    private var pending: Set<String>?
    /// Every configured source.
    let allSources: Set<String>
    private var loading = false
    var stopped = false
    let wakeup: AsyncStream<Void>.Continuation
    /// Yields whenever a reload has been requested; ``ReloadService`` waits on it.
    nonisolated let wakeups: AsyncStream<Void>

    /// Progress of running fetches, shown in `Status`.
    let board: FetchProgressBoard
    private let partitionCounts: [Int]

    /// When each source is reloaded next.
    var scheduler: ReloadScheduler

    /// When each source's next delta runs (`delta_interval`).
    var deltaScheduler: ReloadScheduler
    /// The sources with a delta query.
    let deltaSources: Set<String>
    /// The snapshot write running in the background (after a delta), if any; the next write
    /// waits for it, so that two never overlap.
    var snapshotTask: Task<Void, Never>?
    /// What asked for the queued delta, and for the running one (`control`, `timer`).
    var pendingDeltaTrigger = "control"
    var runningDeltaTrigger = "control"

    init(
        sources: [Configuration.Source], startedAtUSec: UInt64, board: FetchProgressBoard = FetchProgressBoard(),
        timers: [String: ReloadScheduler.Timer] = [:]
    ) {
        self.board = board
        self.scheduler = ReloadScheduler(timers: timers)
        var deltaTimers: [String: ReloadScheduler.Timer] = [:]
        for source in sources { if let delta = source.delta { deltaTimers[source.name] = .init(interval: delta.interval, jitter: delta.jitter) } }
        self.deltaScheduler = ReloadScheduler(timers: deltaTimers)
        self.deltaSources = Set(sources.filter { $0.delta != nil }.map(\.name))
        self.partitionCounts = sources.map { max(1, $0.fetch.partitions) }
        self.sources = sources.map {
            var status = IndexInterface.SourceStatus(name: $0.name, namespace: $0.namespace, kind: $0.kind)
            if $0.delta != nil { status.delta = .init() }
            return status
        }
        self.allSources = Set(sources.map(\.name))
        self.startedAtUSec = startedAtUSec
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a reload of `sources` (nil: all); the ticket's events follow the load that
    /// answers it.
    ///
    /// Single-flight: when the running load fetches every source asked for, the caller joins it
    /// and gets its outcome. Otherwise exactly one follow-up load is queued behind it, covering
    /// what every such caller asked for; they all get that load's outcome.
    func reload(sources: Set<String>? = nil, trigger: String = "control") -> ReloadTicket {
        let (ticket, continuation) = ReloadTicket.make()
        if stopped {
            continuation.yield(.finished(.failure(.shuttingDown)))
            continuation.finish()
            return ticket
        }
        let wanted = sources ?? allSources
        if loading && wanted.isSubset(of: running) {
            waiters.append(continuation)
            follow(continuation)
        } else {
            pendingWaiters.append(continuation)
            queue(wanted, trigger: trigger)
        }
        return ticket
    }

    /// Asks for a reload of `sources` (nil: all) and waits for its outcome.
    func requestReload(sources: Set<String>? = nil) async -> Outcome {
        await reload(sources: sources).outcome()
    }

    /// The running load has started for `continuation`: tell it, and let the fetches tell it more.
    func follow(_ continuation: AsyncStream<ReloadTicket.Event>.Continuation) {
        continuation.yield(.started)
        board.watch(continuation)
    }

    /// Asks for a reload of `sources` (nil: all) without waiting (SIGHUP, the timer). Returns
    /// false when the running load already covers them.
    @discardableResult
    func requestReloadInBackground(sources: Set<String>? = nil, trigger: String = "signal") -> Bool {
        let wanted = sources ?? allSources
        guard !stopped, !(loading && wanted.isSubset(of: running)) else { return false }
        queue(wanted, trigger: trigger)
        return true
    }

    private func queue(_ wanted: Set<String>, trigger: String) {
        if pending == nil { pendingTrigger = trigger }
        pending = (pending ?? []).union(wanted)
        wakeup.yield()
    }

    /// What asked for the queued load (the first request that queued it), and for the running
    /// one: `start`, `control`, `signal`, `timer`, `check`, `watermark`; for the metrics.
    private var pendingTrigger = "start"
    private(set) var runningTrigger = "start"

    /// Takes the queued request: the sources the next load fetches; nil when none is queued.
    func takeRequest() -> Set<String>? {
        guard let next = pending else { return nil }
        pending = nil
        runningTrigger = pendingTrigger
        running = next
        waiters += pendingWaiters
        pendingWaiters = []
        return next
    }

    /// Source states before the running load, to restore if it is not applied.
    private var statesBeforeLoad: [IndexInterface.SourceState] = []
    private var stateBeforeLoad: IndexInterface.DaemonState = .starting

    /// Records that a load starts.
    func loadStarted(sources fetched: Set<String>? = nil) {
        loading = true
        cancelRequested = false
        running = fetched ?? allSources
        stateBeforeLoad = state
        statesBeforeLoad = sources.map(\.state)
        state = state == .starting || state == .loading ? .loading : .reloading
        for i in sources.indices where running.contains(sources[i].name) {
            scheduler.started(sources[i].name)
            switch sources[i].state {
            case .loaded, .loadedAndReloading: sources[i].state = .loadedAndReloading
            case .stale, .failed, .failedAndReloading: sources[i].state = .failedAndReloading
            case .pending, .loading: sources[i].state = .loading
            }
            // From now on a source's progress is this load's, not the last one's.
            board.queued(sources[i].name, partitions: partitionCounts[i])
        }
        for waiter in waiters { follow(waiter) }
    }


    /// Records a load that was not applied (a source with `on_failure = "fail"` failed):
    /// every source keeps the state it had, the failed ones with their new error.
    @discardableResult
    func loadAborted(outcomes: [SourceOutcome], reason: String, generation: UInt64, at now: UInt64) -> Outcome {
        loading = false
        state = stateBeforeLoad
        var failed: [String] = []
        for (i, outcome) in zip(sources.indices, outcomes) {
            guard outcome.fetched else {
                sources[i].state = i < statesBeforeLoad.count ? statesBeforeLoad[i] : .pending
                continue
            }
            if outcome.error != nil {
                scheduler.loaded(sources[i].name, at: now, failed: true)
            } else {
                scheduler.abandoned(sources[i].name, at: now)
            }
            sources[i].state = i < statesBeforeLoad.count ? statesBeforeLoad[i] : .pending
            sources[i].lastDurationUSec = outcome.duration.microseconds
            if let error = outcome.error {
                failed.append(sources[i].name)
                sources[i].lastError = error
                sources[i].lastErrorUSec = now
                if sources[i].state == .loaded { sources[i].state = .stale }
            }
        }
        let result: Outcome = .failure(.reloadFailed(reason: reason, generation: generation, failedSources: failed))
        answerWaiters(result)
        return result
    }

    /// Records a finished load, answers every waiter and returns the outcome.
    @discardableResult
    func loadFinished(index: Index, outcomes: [SourceOutcome], duration: Duration, at now: UInt64) -> Outcome {
        loading = false
        var failed: [String] = []
        var reasons: [String] = []
        for (i, outcome) in zip(sources.indices, outcomes) {
            var status = sources[i]
            let entry = index.sources.first { $0.source == status.name }
            status.rows = entry?.layer.count ?? 0
            status.shadowed = entry?.shadowed ?? 0
            status.bytes = entry?.layer.memoryBytes ?? 0
            shadowedRows[status.name] = outcome.shadowedRows
            guard outcome.fetched else {
                // Not asked for: its rows, and its state, carry over.
                sources[i] = status
                continue
            }
            scheduler.loaded(status.name, at: now, failed: outcome.error != nil)
            if outcome.error == nil { deltaScheduler.loaded(status.name, at: now, failed: false) }
            if outcome.error == nil, let value = outcome.checkValue { loadedCheckValues[status.name] = value }
            status.lastDurationUSec = outcome.duration.microseconds
            if let error = outcome.error {
                failed.append(status.name)
                reasons.append("source '\(status.name)': \(error)")
                status.lastError = error
                status.lastErrorUSec = now
                status.state = entry == nil ? .failed : .stale
            } else {
                status.state = .loaded
                status.lastSuccessUSec = now
                status.delta?.applied = 0
                status.skippedNull = outcome.skipped.null
                status.skippedEmpty = outcome.skipped.empty
                status.skippedInvalidUTF8 = outcome.skipped.invalidUTF8
                status.skippedMalformed = outcome.skipped.malformed
                status.skippedTooLong = outcome.skipped.tooLong
                status.duplicates = entry?.table.duplicates ?? 0
                loadSkippedRows[status.name] = outcome.skippedRows
            }
            sources[i] = status
        }
        loadedAtUSec = now
        loadDurationUSec = duration.microseconds
        servingSnapshot = false
        let everyoneFailed = !sources.isEmpty && sources.allSatisfy { $0.state == .failed }
        state = everyoneFailed ? .failed : .serving
        let result: Outcome =
            failed.isEmpty
            ? .success(.init(generation: index.generation, entries: index.entryCount, durationUSec: duration.microseconds))
            : .failure(
                .reloadFailed(
                    reason: "Failed to fetch " + reasons.joined(separator: "; "), generation: index.generation,
                    failedSources: failed))
        answerWaiters(result)
        return result
    }

    /// Records that `index` was loaded from the snapshot at `path` and now serves.
    func servedSnapshot(_ index: Index, path: String, bytes: Int, at now: UInt64) {
        servingSnapshot = true
        snapshot = .init(path: path, generation: index.generation, createdAtUSec: index.createdAtMicroseconds, bytes: bytes)
        loadedAtUSec = index.createdAtMicroseconds
        state = .serving
        for i in sources.indices {
            guard let entry = index.sources.first(where: { $0.source == sources[i].name }) else { continue }
            sources[i].state = .loaded
            sources[i].rows = entry.layer.count
            sources[i].shadowed = entry.shadowed
            sources[i].bytes = entry.layer.memoryBytes
            sources[i].duplicates = entry.table.duplicates
            sources[i].lastSuccessUSec = index.createdAtMicroseconds
            scheduler.loaded(sources[i].name, at: now, failed: false)
            deltaScheduler.loaded(sources[i].name, at: now, failed: false)
        }
    }

    /// The change check's value read before each source's last successful load.
    private var loadedCheckValues: [String: String] = [:]

    /// Records a change check of `source`; true when its value differs from the one read before
    /// its last successful load, so that the source should be reloaded.
    func checked(_ source: String, value: String?, error: String?, at now: UInt64) -> Bool {
        guard let i = sources.firstIndex(where: { $0.name == source }) else { return false }
        sources[i].lastCheckUSec = now
        sources[i].lastCheckError = error
        guard let value else { return false }
        sources[i].lastCheckValue = value
        let busy = loading && running.contains(source)
        return !busy && sources[i].lastSuccessUSec != nil && loadedCheckValues[source] != value
    }

    var changes: [IndexInterface.NamespaceChanges]?
    var changesFrom: UInt64?

    /// Takes the sources whose scheduled reload is due at `now`.
    /// Queues the full reloads, deltas and snapshot write whose timers are due at `now`, in one
    /// step so that `Status` never sees a timer taken and its work not yet queued. Returns the
    /// sources whose full reload it queued.
    func queueDueTimers(at now: UInt64) -> Set<String> {
        guard !stopped else { return [] }
        let due = scheduler.takeDue(at: now)
        if !due.isEmpty { _ = requestReloadInBackground(sources: due, trigger: "timer") }
        requestDeltaInBackground(sources: deltaScheduler.takeDue(at: now))
        queueSnapshotIfDue(at: now)
        return due
    }

    /// The earliest scheduled reload, delta or snapshot, if any.
    var earliestDue: UInt64? { [scheduler.earliest, deltaScheduler.earliest, snapshotDueUSec].compactMap { $0 }.min() }

    /// Records a load that was cancelled: by `CancelReload` (its callers get `ReloadCancelled` and
    /// every source keeps the state it had) or by a shutdown (they get `ShuttingDown`).
    func loadCancelled(generation: UInt64, at now: UInt64) {
        loading = false
        for source in running { scheduler.abandoned(source, at: now) }
        if cancelRequested {
            cancelRequested = false
            for i in sources.indices where i < statesBeforeLoad.count { sources[i].state = statesBeforeLoad[i] }
            state = stateBeforeLoad
            answerWaiters(.failure(.reloadCancelled(generation: generation)))
            return
        }
        for i in sources.indices where sources[i].state.isFetching {
            sources[i].state = sources[i].lastSuccessUSec == nil ? .pending : .stale
        }
        if state == .loading { state = .starting } else if state == .reloading { state = .serving }
        answerWaiters(.failure(.shuttingDown))
    }

    /// Set by ``requestCancel()`` while a load runs: its callers get `ReloadCancelled`.
    private var cancelRequested = false
    /// Cancels the running load's task; set by the ``ReloadService`` that runs it.
    private var cancelLoad: (@Sendable () -> Void)?

    /// The ``ReloadService`` hands over how to cancel the load it runs. A cancel asked for before
    /// the handle arrived takes effect now.
    func loadCancellable(by cancel: @escaping @Sendable () -> Void) {
        cancelLoad = cancel
        if loading && cancelRequested { cancel() }
    }

    /// Asks the running load to stop, and cancels its work at once; false when none runs.
    func requestCancel() -> Bool {
        guard loading else { return false }
        cancelRequested = true
        cancelLoad?()
        return true
    }

    /// Refuses every later request and answers the waiting ones.
    func stop() {
        stopped = true
        wakeup.finish()
        answerWaiters(.failure(.shuttingDown))
        waiters = pendingWaiters
        pendingWaiters = []
        answerWaiters(.failure(.shuttingDown))
        for waiter in deltaWaiters + pendingDeltaWaiters {
            waiter.yield(.finished(.failure(.shuttingDown)))
            waiter.finish()
        }
        deltaWaiters = []
        pendingDeltaWaiters = []
    }

    private func answerWaiters(_ outcome: Outcome) {
        cancelLoad = nil
        let answered = waiters
        waiters = []
        board.stopWatching()
        for waiter in answered {
            waiter.yield(.finished(outcome))
            waiter.finish()
        }
    }

    // MARK: Deltas, compaction, and the snapshot they leave due

    /// Deltas queued behind the running job, and their callers; nil when none is queued.
    var pendingDelta: Set<String>?
    var pendingDeltaWaiters: [AsyncStream<ReloadTicket.Event>.Continuation] = []
    /// The sources of the running delta (nil: none runs), and its callers.
    var runningDelta: Set<String>?
    /// Per source, the first `skipped_sample` rows its last good load skipped, and the keys an
    /// earlier source shadows in the serving generation; shown in `Status`.
    var loadSkippedRows: [String: [SkippedRow]] = [:]
    var shadowedRows: [String: [SkippedRow]] = [:]
    var deltaWaiters: [AsyncStream<ReloadTicket.Event>.Continuation] = []
    var pendingCompaction: Set<String> = []
    var pendingSnapshot = false
    /// When a snapshot was last written, and when the one deltas left due is.
    var lastSnapshotWriteUSec: UInt64?
    var snapshotDueUSec: UInt64?

}
