import Logging
import NameIndexCore
import NameIndexSources
import Testing

@testable import NameIndexServer

/// Fetches whose work runs elsewhere (`command`) are bounded by `max_parallel_commands`,
/// not by `max_parallel_fetches`.
@Suite struct RemoteParallelismTests {
    /// Lets its callers through once `count` of them wait at once.
    actor Barrier {
        let count: Int
        private var waiting: [CheckedContinuation<Void, Never>] = []
        init(count: Int) { self.count = count }

        func arrive() async {
            await withCheckedContinuation { continuation in
                waiting.append(continuation)
                if waiting.count == count {
                    for waiter in waiting { waiter.resume() }
                    waiting = []
                }
            }
        }
    }

    /// Partitions that finish only when all of them run at once.
    struct Together: Source, PartitionFetcher {
        var name: String { "remote" }
        var namespace: String { "n" }
        var kind: String { "command" }
        var worksElsewhere: Bool { true }
        let barrier: Barrier

        func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
            await barrier.arrive()
            var batch = RowBatch()
            batch.append(key: "\(partition.index)", name: "p")
            try await deliver(batch)
        }
    }

    @Test func remotePartitionsRunTogetherBeyondTheLocalLimit() async throws {
        let runner = FetchRunner(
            limiter: ConcurrencyLimiter(limit: 1), logger: Logger(label: "test"), remoteLimiter: ConcurrencyLimiter(limit: 6))
        // If the local limit of 1 applied, the six partitions would never all wait at once:
        // the fetch would hang, and the deadline below fails the test.
        let outcome = try await withThrowingTaskGroup(of: SourceOutcome?.self) { group in
            group.addTask { await runner.fetch(Together(barrier: Barrier(count: 6)), policy: FetchPolicy(partitions: 6)) }
            group.addTask {
                try await Task.sleep(for: .seconds(120))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
        let done = try #require(outcome, "six remote partitions did not run at once under max_parallel_commands = 6")
        #expect(done.table?.count == 6)
    }

    @Test func theLimitIsAKeyOfTheDaemon() throws {
        var configuration = Configuration(defaults: .testing)
        #expect(configuration.daemon.maxParallelCommands == 16)
        try ConfigurationLoader().parse("[daemon]\nmax_parallel_commands = 40\n", file: "/x.toml", into: &configuration)
        #expect(configuration.daemon.maxParallelCommands == 40)
        #expect(configuration.renderedTOML().contains("max_parallel_commands = 40\n"))
        #expect(configurationError("[daemon]\nmax_parallel_commands = 0\n")?.message == "expected a whole number from 1 to 1024")
    }
}
