import Foundation
import NIOCore
import NameIndexCore
import NameIndexProtocol
import Testing

@testable import NameIndexServer

@Suite struct ReloadCoordinatorTests {
    static let sources = [
        Configuration.Source(name: "a", namespace: "n", settings: FileKind(.init(path: "/a")), origin: "/c"),
        Configuration.Source(name: "b", namespace: "n", settings: FileKind(.init(path: "/b")), origin: "/c"),
    ]

    static func index(generation: UInt64, sources: [String]) -> Index {
        var builder = IndexBuilder(generation: generation, createdAtMicroseconds: 0)
        for s in sources { builder.add(source: s, namespace: "n", table: .empty()) }
        return builder.build()
    }

    @Test func callersDuringALoadJoinItAndGetItsOutcome() async throws {
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0)
        await coordinator.loadStarted()
        // Each ticket is taken before the load ends: no waiting for the calls to arrive.
        let first = await coordinator.reload()
        let second = await coordinator.reload()
        await coordinator.loadFinished(
            index: Self.index(generation: 1, sources: ["a", "b"]),
            outcomes: [SourceOutcome(source: "a", table: .empty()), SourceOutcome(source: "b", table: .empty())],
            duration: .milliseconds(3), at: 10)
        let outcomes = [await first.outcome(), await second.outcome()]
        for outcome in outcomes {
            #expect(try outcome.get().generation == 1)
        }
        // Joining did not queue another load.
        #expect(await coordinator.takeRequest() == nil)
    }

    @Test func callersAskingForSourcesTheLoadDoesNotFetchShareOneFollowUp() async throws {
        let three = Self.sources + [Configuration.Source(name: "c", namespace: "m", settings: FileKind(.init(path: "/c")), origin: "/c")]
        let coordinator = ReloadCoordinator(sources: three, startedAtUSec: 0)
        await coordinator.loadStarted(sources: ["a"])
        let joining = await coordinator.reload(sources: ["a"])
        let wantsB = await coordinator.reload(sources: ["b"])
        let wantsC = await coordinator.reload(sources: ["c", "a"])
        await coordinator.loadFinished(
            index: Self.index(generation: 1, sources: ["a"]),
            outcomes: [SourceOutcome(source: "a", table: .empty()), SourceOutcome(source: "b", fetched: false),
                       SourceOutcome(source: "c", fetched: false)],
            duration: .zero, at: 10)
        #expect(try await joining.outcome().get().generation == 1)
        // Exactly one follow-up, for everything asked for that the first load did not fetch.
        #expect(await coordinator.takeRequest() == ["a", "b", "c"])
        #expect(await coordinator.takeRequest() == nil)
        await coordinator.loadStarted(sources: ["a", "b", "c"])
        let status = await coordinator.status(index: nil, version: "t")
        #expect(status.sources.map(\.state) == [.loadedAndReloading, .loading, .loading])
        await coordinator.loadFinished(
            index: Self.index(generation: 2, sources: ["a", "b", "c"]),
            outcomes: three.map { SourceOutcome(source: $0.name, table: .empty()) }, duration: .zero, at: 20)
        #expect(try await wantsB.outcome().get().generation == 2)
        #expect(try await wantsC.outcome().get().generation == 2)
    }

    @Test func aSourceBeingFetchedAgainSaysWhetherItsLastFetchWorked() async {
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0)
        await coordinator.loadStarted()
        #expect(await coordinator.status(index: nil, version: "t").sources.map(\.state) == [.loading, .loading])
        await coordinator.loadFinished(
            index: Self.index(generation: 1, sources: ["a"]),
            outcomes: [SourceOutcome(source: "a", table: .empty()), SourceOutcome(source: "b", error: "down")],
            duration: .zero, at: 10)
        await coordinator.loadStarted()
        #expect(await coordinator.status(index: nil, version: "t").sources.map(\.state) == [.loadedAndReloading, .failedAndReloading])
        #expect(IndexInterface.SourceState.loadedAndReloading.displayName == "loaded-and-reloading")
    }

    @Test func aSourceNotFetchedKeepsItsState() async throws {
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0)
        await coordinator.loadStarted()
        await coordinator.loadFinished(
            index: Self.index(generation: 1, sources: ["a", "b"]),
            outcomes: [SourceOutcome(source: "a", table: .empty()), SourceOutcome(source: "b", error: "down")],
            duration: .zero, at: 10)
        await coordinator.loadStarted(sources: ["a"])
        #expect(await coordinator.status(index: nil, version: "t").sources.map(\.state) == [.loadedAndReloading, .stale])
        await coordinator.loadFinished(
            index: Self.index(generation: 2, sources: ["a", "b"]),
            outcomes: [SourceOutcome(source: "a", table: .empty()), SourceOutcome(source: "b", fetched: false)],
            duration: .zero, at: 20)
        let status = await coordinator.status(index: nil, version: "t")
        #expect(status.sources.map(\.state) == [.loaded, .stale])
        #expect(status.sources[1].lastError == "down")
        #expect(status.sources[0].lastSuccessUSec == 20)
    }

    @Test func aFailedSourceWithEarlierRowsIsStaleAndTheReloadFails() async throws {
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0)
        await coordinator.loadStarted()
        await coordinator.loadFinished(
            index: Self.index(generation: 1, sources: ["a", "b"]),
            outcomes: [SourceOutcome(source: "a", table: .empty()), SourceOutcome(source: "b", table: .empty())],
            duration: .zero, at: 10)
        await coordinator.loadStarted()
        let outcome = await coordinator.loadFinished(
            index: Self.index(generation: 2, sources: ["a", "b"]),
            outcomes: [SourceOutcome(source: "a", table: .empty()), SourceOutcome(source: "b", error: "boom")],
            duration: .zero, at: 20)
        #expect(throws: IndexInterface.Failure.reloadFailed(reason: "Failed to fetch source 'b': boom", generation: 2, failedSources: ["b"])) {
            try outcome.get()
        }
        let status = await coordinator.status(index: nil, version: "t")
        #expect(status.sources.map(\.state) == [.loaded, .stale])
        #expect(status.sources[1].lastError == "boom")
        #expect(status.sources[1].lastErrorUSec == 20)
        #expect(status.sources[1].lastSuccessUSec == 10)
        #expect(status.state == .serving)
    }

    @Test func whenEverySourceFailsOnTheFirstLoadTheDaemonIsFailed() async {
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0)
        await coordinator.loadStarted()
        await coordinator.loadFinished(
            index: Self.index(generation: 1, sources: []),
            outcomes: [SourceOutcome(source: "a", error: "x"), SourceOutcome(source: "b", error: "y")],
            duration: .zero, at: 5)
        let status = await coordinator.status(index: nil, version: "t")
        #expect(status.state == .failed)
        #expect(status.sources.map(\.state) == [.failed, .failed])
    }

    @Test func afterStopRequestsAreRefused() async {
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0)
        await coordinator.stop()
        #expect(await coordinator.requestReload() == .failure(.shuttingDown))
    }
}
