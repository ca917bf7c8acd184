import Logging
import NameIndexCore
import NameIndexSources
import Synchronization
import NameIndexProtocol
import Testing

@testable import NameIndexServer

@Suite struct FetchProgressTests {
    @Test func theBoardFollowsAFetchThroughRetriesToTheEnd() async throws {
        let board = FetchProgressBoard()
        let runner = FetchRunner(limiter: ConcurrencyLimiter(limit: 1), logger: Logger(label: "test"), board: board)
        let policy = FetchPolicy(timeout: .seconds(10), stallTimeout: .seconds(10), retries: 1, retryDelay: .milliseconds(300))
        let source = ScriptedSource("s", .failTimes(1, then: 5))
        async let outcome = runner.fetch(source, policy: policy)
        // While it waits to retry, the board says so.
        var seen: IndexInterface.FetchProgress?
        for _ in 0..<100 {
            seen = board.progress(of: "s")
            if seen?.state == .retrying { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(seen?.state == .retrying)
        #expect(seen?.attempt == 1)
        _ = await outcome
        let done = try #require(board.progress(of: "s"))
        #expect(done.state == .done)
        #expect(done.attempt == 2)
        #expect(done.rows == 5)
        #expect(done.bytes > 0)
        #expect(board.progress(of: "other") == nil)
    }

    @Test func aFailedFetchEndsFailed() async {
        let board = FetchProgressBoard()
        let runner = FetchRunner(limiter: ConcurrencyLimiter(limit: 1), logger: Logger(label: "test"), board: board)
        _ = await runner.fetch(ScriptedSource("s", .failTimes(9, then: 1)), policy: FetchPolicy(retries: 0))
        #expect(board.progress(of: "s")?.state == .failed)
    }
}
