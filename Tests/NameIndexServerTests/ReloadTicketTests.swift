import NameIndexCore
import NameIndexProtocol
import Testing

@testable import NameIndexServer

/// A reload request's ticket follows the load that answers it: started, progress as the
/// fetches report, then the outcome, which ends the stream.
@Suite struct ReloadTicketTests {
    static let sources = [Configuration.Source(name: "a", namespace: "n", settings: FileKind(.init(path: "/a")), origin: "/c")]

    static func finish(_ coordinator: ReloadCoordinator, generation: UInt64) async {
        var builder = IndexBuilder(generation: generation, createdAtMicroseconds: 0)
        builder.add(source: "a", namespace: "n", table: .empty())
        await coordinator.loadFinished(
            index: builder.build(), outcomes: [SourceOutcome(source: "a", table: .empty())], duration: .zero, at: 10)
    }

    @Test func aQueuedRequestSeesItsLoadStartProgressAndFinish() async throws {
        let board = FetchProgressBoard()
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0, board: board)
        let ticket = await coordinator.reload()
        var events = ticket.events.makeAsyncIterator()
        #expect(await coordinator.takeRequest() == ["a"])
        await coordinator.loadStarted(sources: ["a"])
        #expect(await events.next() == .started)
        board.running("a", partition: 0, attempt: 1)
        #expect(await events.next() == .progress)
        board.delivered("a", partition: 0, rows: 10, bytes: 100)
        #expect(await events.next() == .progress)
        await Self.finish(coordinator, generation: 1)
        guard case .finished(.success(let reply)) = await events.next() else {
            Issue.record("the last event is the outcome")
            return
        }
        #expect(reply.generation == 1)
        #expect(await events.next() == nil, "the stream ends after the outcome")
        // Progress after the load has ended goes nowhere.
        board.delivered("a", partition: 0, rows: 1, bytes: 1)
    }

    @Test func aRequestThatJoinsARunningLoadStartsAtOnce() async throws {
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0)
        await coordinator.loadStarted()
        let ticket = await coordinator.reload(sources: ["a"])
        var events = ticket.events.makeAsyncIterator()
        #expect(await events.next() == .started)
        await Self.finish(coordinator, generation: 1)
        #expect(try await ticket.outcome().get().generation == 1)
    }

    @Test func aSlowReaderGetsTheNewestEventAndAlwaysTheOutcome() async throws {
        let board = FetchProgressBoard()
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0, board: board)
        await coordinator.loadStarted()
        let ticket = await coordinator.reload()
        for i in 0..<1000 { board.delivered("a", partition: 0, rows: i, bytes: i) }
        await Self.finish(coordinator, generation: 1)
        var seen: [ReloadTicket.Event] = []
        for await event in ticket.events { seen.append(event) }
        #expect(seen.count == 1, "only the newest event was kept: \(seen.count)")
        guard case .finished(let outcome) = seen.last else {
            Issue.record("the last event is the outcome")
            return
        }
        #expect(try outcome.get().generation == 1)
    }

    @Test func cancelStopsTheRunningLoadsTaskDirectly() async throws {
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0)
        #expect(await coordinator.requestCancel() == false, "no load runs")
        await coordinator.loadStarted()
        let work = Task { try await Task.sleep(for: .seconds(3600)) }
        await coordinator.loadCancellable { work.cancel() }
        #expect(await coordinator.requestCancel())
        // The work ends by cancellation, not by its hour passing.
        await #expect(throws: CancellationError.self) { try await work.value }
    }

    @Test func aCancelAskedBeforeTheHandleArrivesTakesEffectWhenItDoes() async throws {
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0)
        await coordinator.loadStarted()
        #expect(await coordinator.requestCancel())
        let work = Task { try await Task.sleep(for: .seconds(3600)) }
        await coordinator.loadCancellable { work.cancel() }
        await #expect(throws: CancellationError.self) { try await work.value }
    }
}
