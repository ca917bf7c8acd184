import Logging
import NameIndexCore
import NameIndexSources
import Synchronization
import NameIndexProtocol
import Testing

@testable import NameIndexServer

@Suite struct ParallelismTests {
    @Test(arguments: [(1, 1), (3, 3), (nil, 6)] as [(Int?, Int)])
    func parallelismBoundsASourcesPartitions(_ parallelism: Int?, _ peak: Int) async throws {
        let runner = FetchRunner(limiter: ConcurrencyLimiter(limit: 16), logger: Logger(label: "test"))
        let source = SlowPartitions()
        let outcome = await runner.fetch(source, policy: FetchPolicy(partitions: 6, parallelism: parallelism))
        #expect(outcome.table?.count == 6)
        #expect(source.counter.peak == peak)
    }
}
