import Logging
import NameIndexCore
import NameIndexProtocol
import NameIndexSources
import Synchronization

/// When an attempt last delivered rows, shared between it and its stall detector.
private final class ProgressTime: Sendable {
    private let instant: Mutex<ContinuousClock.Instant>
    init(_ start: ContinuousClock.Instant) { instant = Mutex(start) }
    func get() -> ContinuousClock.Instant { instant.withLock { $0 } }
    func set(_ value: ContinuousClock.Instant) { instant.withLock { $0 = value } }
}

/// Runs a source's fetch under its ``FetchPolicy``, streaming into a fresh
/// table per attempt, so a failed attempt leaves nothing behind.
struct FetchRunner: Sendable {
    /// Bounds the fetches whose work is here (`max_parallel_fetches`).
    let limiter: ConcurrencyLimiter
    let logger: Logger
    var board = FetchProgressBoard()
    /// Bounds the fetches whose work runs elsewhere, ``Source/worksElsewhere``
    /// (`max_parallel_commands`); nil: ``limiter`` bounds them too.
    var remoteLimiter: ConcurrencyLimiter?
    /// Skipped rows kept per source (`skipped_sample`).
    var skippedSample = ConfigurationDefaults.skippedSample

    init(limiter: ConcurrencyLimiter, logger: Logger, board: FetchProgressBoard = FetchProgressBoard(),
         remoteLimiter: ConcurrencyLimiter? = nil, skippedSample: Int = ConfigurationDefaults.skippedSample) {
        self.skippedSample = skippedSample
        self.limiter = limiter
        self.logger = logger
        self.board = board
        self.remoteLimiter = remoteLimiter
    }

    enum AttemptError: Error, CustomStringConvertible {
        case timedOut(Duration)
        case stalled(Duration)

        var description: String {
            switch self {
            case .timedOut(let d): "timed out after \(TimeSpan.format(d)) (timeout)"
            case .stalled(let d): "stalled: no rows for \(TimeSpan.format(d)) (stall_timeout)"
            }
        }
    }

    /// Fetches `source`: every partition at once (each retried on its own),
    /// joined in partition order into one table; or the error of a partition that failed.
    func fetch(_ source: any Source, policy: FetchPolicy) async -> SourceOutcome {
        let outcome = await fetchOnce(source, policy: policy)
        guard outcome.sharedStateLost, !Task.isCancelled else { return outcome }
        logger.warning(
            "Source '\(source.name)': what its partitions share is gone (\(outcome.error ?? "")); fetching the whole source again.",
            metadata: ["source": "\(source.name)"])
        return await fetchOnce(source, policy: policy)
    }

    private func fetchOnce(_ source: any Source, policy: FetchPolicy) async -> SourceOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var outcome = SourceOutcome(source: source.name)
        let count = max(1, policy.partitions)
        board.queued(source.name, partitions: count)
        let fetcher: any PartitionFetcher
        switch await withRetries(source, nil, policy: policy, { () async throws -> any PartitionFetcher in
            try await withDeadline(policy.timeout) { try await source.prepare(partitions: count) }
        }) {
        case .success(let prepared):
            fetcher = prepared
            outcome.watermark = prepared.startingWatermark
            for notice in prepared.notices {
                logger.notice("Source '\(source.name)': \(notice)", metadata: ["source": "\(source.name)"])
            }
        case .failure(let failure):
            outcome.error = failure.message
            board.set(source.name, partition: nil, .failed)
            outcome.duration = clock.now - start
            return outcome
        }
        // The source's own bound, inside the daemon-wide one.
        let sourceLimit = ConcurrencyLimiter(limit: min(count, policy.parallelism))
        let results = await withTaskGroup(of: (Int, Result<(KeyTableBuilder, SkipTally), PartitionFailure>).self) { group in
            for index in 0..<count {
                group.addTask {
                    await sourceLimit.acquire()
                    let partition = Partition(index: index, of: count)
                    let result = await withRetries(source, partition, policy: policy) {
                        try await self.attempt(source, fetcher, partition, policy: policy)
                    }
                    await sourceLimit.release()
                    return (index, result)
                }
            }
            var results = [Result<(KeyTableBuilder, SkipTally), PartitionFailure>?](repeating: nil, count: count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
        await fetcher.finish()
        var merged: KeyTableBuilder?
        var skipped = SkipTally(limit: skippedSample)
        do {
            for result in results {
                let (builder, partSkipped) = try result.get()
                skipped.add(partSkipped)
                if let merged { try merged.absorb(builder) } else { merged = builder }
            }
            outcome.table = try merged?.finish()
            outcome.skipped = skipped.counts
            outcome.skippedRows = skipped.rows
        } catch let failure as PartitionFailure {
            outcome.error = failure.message
            outcome.sharedStateLost = results.contains { if case .failure(let f) = $0 { f.sharedStateLost } else { false } }
        } catch {
            outcome.error = "\(error)"
        }
        board.set(source.name, partition: nil, outcome.table == nil ? .failed : .done)
        outcome.duration = clock.now - start
        return outcome
    }

    /// Fetches the rows of `source` changed since `watermark`, under `policy`'s timeout and
    /// retries (a delta is one attempt of one partition; nothing of a failed attempt is kept).
    func fetchDelta(_ source: any Source, _ delta: any DeltaFetching, since watermark: String, policy: FetchPolicy) async
        -> Result<DeltaCollector, PartitionFailure>
    {
        board.queued(source.name, partitions: 1)
        let board = self.board
        let result = await withRetries(source, nil, policy: policy) {
            try await withDeadline(policy.timeout) {
                var collector = DeltaCollector()
                try await delta.fetchDelta(since: watermark) { batch in
                    collector.add(batch)
                    board.delivered(source.name, partition: 0, rows: batch.count + batch.skipped.total, bytes: batch.byteCount)
                }
                return collector
            }
        }
        if case .success = result { board.set(source.name, partition: nil, .done) } else { board.set(source.name, partition: nil, .failed) }
        return result
    }

    /// Reads `delta`'s starting watermark under `policy`'s timeout and retries.
    func startingWatermark(_ source: any Source, _ delta: any DeltaFetching, policy: FetchPolicy) async -> Result<String?, PartitionFailure> {
        await withRetries(source, nil, policy: policy) {
            try await withDeadline(policy.timeout) { try await delta.startingWatermark() }
        }
    }

    /// Why a partition gave up: its last error, worded for the source.
    struct PartitionFailure: Error {
        let message: String
        /// What the partitions share is gone: fetch the whole source again.
        var sharedStateLost = false
    }

    /// `body` under the daemon-wide limit, tried again after failures as `policy` says.
    /// `partition` is nil for the source's preparation.
    private func withRetries<T>(
        _ source: any Source, _ partition: Partition?, policy: FetchPolicy, _ body: () async throws -> T
    ) async -> Result<T, PartitionFailure> {
        var logger = logger
        logger[metadataKey: "source"] = "\(source.name)"
        logger[metadataKey: "namespace"] = "\(source.namespace)"
        let label: String
        let where_: String
        if let partition, partition.count > 1 {
            label = "source '\(source.name)' partition \(partition)"
            where_ = "partition \(partition): "
            logger[metadataKey: "partition"] = "\(partition)"
        } else {
            label = "source '\(source.name)'"
            where_ = ""
        }
        var attempt = 1
        let limiter = source.worksElsewhere ? remoteLimiter ?? self.limiter : self.limiter
        while true {
            await limiter.acquire()
            board.running(source.name, partition: partition?.index, attempt: attempt)
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            await limiter.release()
            switch result {
            case .success(let value):
                if let partition { board.set(source.name, partition: partition.index, .done) }
                return .success(value)
            case .failure(let error):
                if Task.isCancelled { return .failure(PartitionFailure(message: "cancelled")) }
                let attempts = attempt == 1 ? "" : " (after \(attempt) attempts)"
                if (error as? SourceError)?.code == .sharedStateLost {
                    // Retrying this partition alone cannot work; the caller fetches the whole source again.
                    if let partition { board.set(source.name, partition: partition.index, .failed) }
                    return .failure(PartitionFailure(message: "\(where_)\(error)\(attempts)", sharedStateLost: true))
                }
                guard attempt <= policy.retries else {
                    if let partition { board.set(source.name, partition: partition.index, .failed) }
                    logger.error("Failed to fetch \(label): \(error)\(attempts)")
                    return .failure(PartitionFailure(message: "\(where_)\(error)\(attempts)"))
                }
                let pause = policy.backoff(after: attempt, jitter: Double.random(in: 0.5...1))
                board.set(source.name, partition: partition?.index, .retrying)
                logger.warning(
                    "Failed to fetch \(label): \(error); retrying in \(TimeSpan.format(pause)) (attempt \(attempt + 1) of \(policy.retries + 1)).")
                do { try await ReloadScheduler.sleep(for: pause) } catch { return .failure(PartitionFailure(message: "cancelled")) }
                attempt += 1
            }
        }
    }

    /// `body`, failed when it runs past `timeout`.
    private func withDeadline<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await ReloadScheduler.sleep(for: timeout)
                throw AttemptError.timedOut(timeout)
            }
            defer { group.cancelAll() }
            guard let result = try await group.next() ?? nil else { throw CancellationError() }
            return result
        }
    }

    /// One attempt, raced against its deadline and its stall detector.
    private func attempt(_ source: any Source, _ fetcher: any PartitionFetcher, _ partition: Partition, policy: FetchPolicy) async throws
        -> (KeyTableBuilder, SkipTally)
    {
        let clock = ContinuousClock()
        let started = clock.now
        let lastProgress = ProgressTime(started)
        let board = self.board
        let logger = self.logger
        let sample = skippedSample
        return try await withThrowingTaskGroup(of: (KeyTableBuilder, SkipTally)?.self) { group in
            group.addTask {
                let builder = KeyTableBuilder()
                var skipped = SkipTally(limit: sample)
                try await fetcher.fetch(partition) { batch in
                    try builder.add(batch)
                    skipped.add(batch, partition: partition)
                    for notice in batch.notices {
                        logger.warning(
                            "Source '\(source.name)', partition \(partition): \(notice)", metadata: ["source": "\(source.name)"])
                    }
                    lastProgress.set(clock.now)
                    board.delivered(
                        source.name, partition: partition.index, rows: batch.count + batch.skipped.total, bytes: batch.byteCount)
                }
                return (builder, skipped)
            }
            group.addTask {
                // Wake at the nearer of the two deadlines; rows that arrived meanwhile move the
                // stall deadline, so wait again for the new one.
                let timesOut = started + policy.timeout
                while true {
                    let stallsAt = lastProgress.get() + policy.stallTimeout
                    try await ReloadScheduler.sleep(until: min(timesOut, stallsAt))
                    let now = clock.now
                    if now >= timesOut { throw AttemptError.timedOut(policy.timeout) }
                    if now - lastProgress.get() >= policy.stallTimeout { throw AttemptError.stalled(policy.stallTimeout) }
                }
            }
            defer { group.cancelAll() }
            guard let result = try await group.next() ?? nil else { throw CancellationError() }
            return result
        }
    }
}
