@testable import NameIndexServer
import NameIndexCore
import Synchronization
import Testing

@Suite struct ReloadTimerConfigurationTests {
    @Test func aSourceTakesTheDaemonsTimerUnlessItSetsItsOwn() async throws {
        var configuration = Configuration(defaults: .testing)
        try ConfigurationLoader().parse("""
            [daemon]
            reload_interval = "1h"
            reload_jitter = "5min"

            [[source]]
            name = "a"
            namespace = "n"
            kind = "file"
            path = "a.tsv"

            [[source]]
            name = "b"
            namespace = "n"
            kind = "file"
            path = "b.tsv"
            reload_interval = "10min"
            """, file: "/etc/nameindexd/nameindexd.toml", into: &configuration)
        #expect(configuration.timers["a"] == .init(interval: .seconds(3600), jitter: .seconds(300)))
        #expect(configuration.timers["b"] == .init(interval: .seconds(600), jitter: .seconds(300)))
        // The coordinator schedules with those timers, the daemon's included.
        let coordinator = ReloadCoordinator(sources: configuration.sources, startedAtUSec: 0, timers: configuration.timers)
        await coordinator.loadStarted()
        await coordinator.loadFinished(
            index: ReloadCoordinatorTests.index(generation: 1, sources: ["a", "b"]),
            outcomes: [SourceOutcome(source: "a", table: .empty()), SourceOutcome(source: "b", table: .empty())],
            duration: .zero, at: 0)
        let next = await coordinator.status(index: nil, version: "t").sources.map(\.nextReloadUSec)
        #expect(next[0].map { $0 >= 3_600_000_000 && $0 < 3_900_000_000 } == true)
        #expect(next[1].map { $0 >= 600_000_000 && $0 < 900_000_000 } == true)
    }
}
