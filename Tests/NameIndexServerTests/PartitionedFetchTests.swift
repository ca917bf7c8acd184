import Logging
import NameIndexCore
import NameIndexSources
import Synchronization
import NameIndexProtocol
import Testing

@testable import NameIndexServer

@Suite struct PartitionedFetchTests {
    @Test(arguments: [1, 2, 7, 16])
    func everyRowExactlyOnceWithOnePartitionRetriedAlone(_ partitions: Int) async throws {
        let runner = FetchRunner(limiter: ConcurrencyLimiter(limit: 4), logger: Logger(label: "test"))
        let source = PartitionedSource(count: 1000, failing: partitions - 1)
        let outcome = await runner.fetch(source, policy: FetchPolicy(retries: 1, retryDelay: .milliseconds(5), partitions: partitions))
        let table = try #require(outcome.table, "\(outcome.error ?? "")")
        var rows: [String: String] = [:]
        table.forEachEntry { k, n in rows[String(decoding: k, as: UTF8.self)] = String(decoding: n, as: UTF8.self) }
        #expect(rows == Dictionary(uniqueKeysWithValues: (0..<1000).map { ("\($0 - 500)", "n\($0)") }))
        #expect(table.duplicates == 0)  // the failed attempt's rows were dropped with it
        let attempts = source.attempts.withLock { $0 }
        #expect(attempts[partitions - 1] == 2)
        #expect(attempts.filter { $0.key != partitions - 1 }.values.allSatisfy { $0 == 1 })
    }

    @Test func aPartitionThatKeepsFailingFailsTheSourceAndSaysWhich() async {
        let board = FetchProgressBoard()
        let runner = FetchRunner(limiter: ConcurrencyLimiter(limit: 4), logger: Logger(label: "test"), board: board)
        let outcome = await runner.fetch(PartitionedSource(count: 100, failing: 2), policy: FetchPolicy(retries: 0, partitions: 4))
        #expect(outcome.table == nil)
        #expect(outcome.error == "partition 3/4: server closed the connection")
        // The board shows each partition: the failed one with the rows it got before failing.
        let progress = board.progress(of: "p")
        #expect(progress?.state == .failed)
        #expect(progress?.partitions?.map(\.state) == [.done, .done, .failed, .done])
        #expect(progress?.partitions?.map(\.rows) == [25, 25, 3, 25])
        #expect(progress?.rows == 78)
    }
}
