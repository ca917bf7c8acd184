import Logging
import NameIndexCore
import NameIndexSources
import Synchronization
import NameIndexProtocol
import Testing

@testable import NameIndexServer

/// A source whose behaviour each test scripts: fail some attempts, hang, stall, or count concurrency.
final class ScriptedSource: Source, PartitionFetcher, Sendable {
    enum Behaviour: Sendable {
        case rows(Int)
        case failTimes(Int, then: Int)  // fail this many attempts, then deliver rows
        case hang
        case deliverThenHang(Int)
        case slow(Int, Duration)  // deliver rows after a pause
    }

    let name: String
    var namespace: String { "n" }
    var kind: String { "test" }
    let behaviour: Behaviour
    let attempts = Mutex(0)

    init(_ name: String, _ behaviour: Behaviour) {
        self.name = name
        self.behaviour = behaviour
    }

    static func batch(_ count: Int) -> RowBatch {
        var batch = RowBatch()
        for i in 0..<count { batch.append(key: "\(i)", name: "n\(i)") }
        return batch
    }

    func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
        let attempt = attempts.withLock { $0 += 1; return $0 }
        switch behaviour {
        case .rows(let n): try await deliver(Self.batch(n))
        case .failTimes(let failures, let n):
            if attempt <= failures { throw SourceError(code: .io, message: "connection reset (attempt \(attempt))") }
            try await deliver(Self.batch(n))
        case .hang: try await Task.sleep(for: .seconds(3600))
        case .deliverThenHang(let n):
            try await deliver(Self.batch(n))
            try await Task.sleep(for: .seconds(3600))
        case .slow(let n, let pause):
            try await Task.sleep(for: pause)
            try await deliver(Self.batch(n))
        }
    }
}

/// Fetches running at once, and the most seen.
final class RunningCounter: Sendable {
    let state = Mutex((now: 0, peak: 0))
    var peak: Int { state.withLock { $0.peak } }
}

/// A source that counts, in a shared counter, the fetches running at once.
final class ConcurrencyProbe: Source, PartitionFetcher, Sendable {
    let name: String
    var namespace: String { "n" }
    var kind: String { "test" }
    let counter: RunningCounter

    init(_ name: String, counter: RunningCounter) {
        self.name = name
        self.counter = counter
    }

    func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
        counter.state.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
        try await Task.sleep(for: .milliseconds(100))
        counter.state.withLock { $0.now -= 1 }
        try await deliver(ScriptedSource.batch(1))
    }
}

@Suite struct FetchRunnerTests {
    let runner = FetchRunner(limiter: ConcurrencyLimiter(limit: 4), logger: Logger(label: "test"))
    let quick = FetchPolicy(timeout: .seconds(5), stallTimeout: .seconds(5), retries: 2, retryDelay: .milliseconds(10))

    @Test func aFlakySourceSucceedsOnARetry() async {
        let source = ScriptedSource("s", .failTimes(2, then: 7))
        let outcome = await runner.fetch(source, policy: quick)
        #expect(outcome.error == nil)
        #expect(outcome.table?.count == 7)
        #expect(source.attempts.withLock { $0 } == 3)
    }

    @Test func retriesRunOutAndTheLastErrorIsKept() async {
        let source = ScriptedSource("s", .failTimes(5, then: 7))
        let outcome = await runner.fetch(source, policy: quick)
        #expect(outcome.table == nil)
        #expect(outcome.error == "connection reset (attempt 3) (after 3 attempts)")
        #expect(source.attempts.withLock { $0 } == 3)
    }

    @Test func aHangingSourceIsCutOffAtItsTimeout() async {
        let policy = FetchPolicy(timeout: .milliseconds(200), stallTimeout: .seconds(60), retries: 0)
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = await runner.fetch(ScriptedSource("s", .hang), policy: policy)
        let elapsed = clock.now - start
        #expect(outcome.error == "timed out after 200ms (timeout)")
        #expect(elapsed >= .milliseconds(200))
        // The source would hang for an hour: anything near that is a failure. (Not a timing
        // check: under a loaded test run the cut-off can come seconds late.)
        #expect(elapsed < .seconds(120))
    }

    @Test func aSourceThatStopsDeliveringIsCutOffAsStalled() async {
        let policy = FetchPolicy(timeout: .seconds(60), stallTimeout: .milliseconds(200), retries: 1, retryDelay: .milliseconds(10))
        let source = ScriptedSource("s", .deliverThenHang(3))
        let outcome = await runner.fetch(source, policy: policy)
        #expect(outcome.error == "stalled: no rows for 200ms (stall_timeout) (after 2 attempts)")
        #expect(source.attempts.withLock { $0 } == 2)
    }

    @Test func aSlowButSteadySourceIsNotCutOff() async {
        // Deadlines far beyond the pause, so that a test run that starves the process for
        // seconds (the abuse tests) does not cut it off either.
        let policy = FetchPolicy(timeout: .seconds(120), stallTimeout: .seconds(60), retries: 0)
        let outcome = await runner.fetch(ScriptedSource("s", .slow(4, .milliseconds(300))), policy: policy)
        #expect(outcome.error == nil)
        #expect(outcome.table?.count == 4)
    }

    @Test func maxParallelFetchesBoundsConcurrency() async {
        let counter = RunningCounter()
        let limited = FetchRunner(limiter: ConcurrencyLimiter(limit: 2), logger: Logger(label: "test"))
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<6 {
                group.addTask { _ = await limited.fetch(ConcurrencyProbe("p\(i)", counter: counter), policy: FetchPolicy()) }
            }
        }
        #expect(counter.peak == 2)
    }

    @Test func backoffDoublesIsCappedAndJittered() {
        let policy = FetchPolicy(retryDelay: .seconds(1))
        #expect(policy.backoff(after: 1, jitter: 1) == .seconds(1))
        #expect(policy.backoff(after: 2, jitter: 1) == .seconds(2))
        #expect(policy.backoff(after: 4, jitter: 1) == .seconds(8))
        #expect(policy.backoff(after: 30, jitter: 1) == .seconds(300))
        #expect(policy.backoff(after: 2, jitter: 0.5) == .seconds(1))
        #expect(policy.backoff(after: 2, jitter: 0.1) == .seconds(1))  // jitter is never below one half
    }

    @Test func fetchKeysAreReadAndChecked() throws {
        var configuration = Configuration(defaults: .testing)
        try ConfigurationLoader().parse(
            userSource + "timeout = \"30s\"\nstall_timeout = \"1min 30s\"\nretries = 5\nretry_delay = \"250ms\"\n",
            file: "/x.toml", into: &configuration)
        #expect(configuration.sources[0].fetch == .init(timeout: .seconds(30), stallTimeout: .seconds(90), retries: 5, retryDelay: .milliseconds(250)))
        let error = try #require(configurationError(userSource + "timeout = \"soon\"\n"))
        #expect(error.key == "source[1].timeout")
        #expect(error.message.contains("expected a time span"))
        #expect(configurationError("[daemon]\nmax_parallel_fetches = 0\n")?.message == "expected a whole number from 1")
    }
}

/// Rows 0..<count split by `i % partitions`; partition `failing` fails its first attempt.
final class PartitionedSource: Source, PartitionFetcher, Sendable {
    var name: String { "p" }
    var namespace: String { "n" }
    var kind: String { "test" }
    let count: Int
    let failing: Int
    let attempts = Mutex([Int: Int]())

    init(count: Int, failing: Int) {
        self.count = count
        self.failing = failing
    }

    func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
        let attempt = attempts.withLock { $0[partition.index, default: 0] += 1; return $0[partition.index]! }
        var batch = RowBatch()
        for i in stride(from: partition.index, to: count, by: partition.count) {
            batch.append(key: "\(i - count / 2)", name: "n\(i)")
            if partition.index == failing && attempt == 1 && batch.count == 3 {
                try await deliver(batch)  // some rows, then the connection drops
                throw SourceError(code: .io, message: "server closed the connection")
            }
        }
        try await deliver(batch)
    }
}

/// Partitions that each take a while, counting how many run at once.
final class SlowPartitions: Source, PartitionFetcher, Sendable {
    var name: String { "slow" }
    var namespace: String { "n" }
    var kind: String { "test" }
    let counter = RunningCounter()

    func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
        counter.state.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
        try await Task.sleep(for: .milliseconds(50))
        counter.state.withLock { $0.now -= 1 }
        var batch = RowBatch()
        batch.append(key: "\(partition.index)", name: "p")
        try await deliver(batch)
    }
}
