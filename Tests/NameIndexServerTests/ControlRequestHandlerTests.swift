import Foundation
import NIOCore
import NameIndexCore
import NameIndexProtocol
import Testing

@testable import NameIndexServer

@Suite struct ControlRequestHandlerTests {
    let store: Store
    let handler: ControlRequestHandler

    init() {
        let builder = KeyTableBuilder()
        try! builder.insert(key: "42", name: "Zoë Martin")
        var index = IndexBuilder(generation: 5, createdAtMicroseconds: 0)
        index.add(source: "users", namespace: "user", table: builder.build())
        store = Store(index: index.build())
        let source = Configuration.Source(
            name: "users", namespace: "user", settings: .file(.init(path: "/x.tsv")), origin: "/etc/x.toml")
        handler = ControlRequestHandler(store: store, coordinator: ReloadCoordinator(sources: [source], startedAtUSec: 1))
    }

    static let root = PeerCredentials(pid: 1, uid: 0, gid: 0)

    func replies(_ text: String, peer: PeerCredentials? = root) async throws -> [JSONValue] {
        var buffers: [ByteBuffer] = []
        try await handler.handle(ByteBuffer(string: text), peer: peer, allocator: ByteBufferAllocator()) { buffers.append($0) }
        return try buffers.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.readableBytesView)) }
    }

    func reply(_ text: String) async throws -> JSONValue? {
        let all = try await replies(text)
        #expect(all.count <= 1)
        return all.first
    }

    @Test func aCallerWhoMayNotReloadGetsPermissionDeniedButMayLookUp() async throws {
        let stranger = PeerCredentials(pid: 1, uid: 4242, gid: 4242)
        let denied = try await replies(#"{"method":"io.nameindex.Index.Reload"}"#, peer: stranger)
        #expect(denied == [.object(["error": .string("io.nameindex.Index.PermissionDenied"), "parameters": .object(["uid": .number(4242)])])])
        let streaming = try await replies(#"{"method":"io.nameindex.Index.Reload","more":true}"#, peer: stranger)
        #expect(streaming == denied)
        // Without credentials nobody may reload.
        let unknown = try await replies(#"{"method":"io.nameindex.Index.Reload"}"#, peer: nil)
        #expect(unknown.first?["error"]?.stringValue == "io.nameindex.Index.PermissionDenied")
        let lookup = try await replies(
            #"{"method":"io.nameindex.Index.Lookup","parameters":{"namespace":"user","keys":["42"]}}"#, peer: stranger)
        #expect(lookup.first?["error"] == nil)
    }

    @Test func looksUpKeysKeepingMissesAsNull() async throws {
        let r = try await reply(#"{"method":"io.nameindex.Index.Lookup","parameters":{"namespace":"user","keys":["42","7"]}}"#)
        #expect(r == .object(["parameters": .object(["names": .array([.string("Zoë Martin"), .null]), "generation": .number(5)])]))
    }

    @Test func anUnknownNamespaceIsNoSuchNamespace() async throws {
        let r = try await reply(#"{"method":"io.nameindex.Index.Lookup","parameters":{"namespace":"team","keys":["1"]}}"#)
        #expect(r?["error"] == .string("io.nameindex.Index.NoSuchNamespace"))
        #expect(r?["parameters"]?["namespace"] == .string("team"))
    }

    @Test(arguments: [
        ("not json at all", "io.nameindex.Index.InvalidMessage"),
        ("[1,2,3]", "io.nameindex.Index.InvalidMessage"),
        (#"{"parameters":{}}"#, "io.nameindex.Index.InvalidMessage"),
        (#"{"method":"io.nameindex.Index.Explode"}"#, "org.varlink.service.MethodNotFound"),
        (#"{"method":"com.example.Other.Method"}"#, "org.varlink.service.InterfaceNotFound"),
        (#"{"method":"NoDots"}"#, "org.varlink.service.InterfaceNotFound"),
        (#"{"method":"io.nameindex.Index.Lookup","parameters":{"keys":["1"]}}"#, "org.varlink.service.InvalidParameter"),
        (#"{"method":"io.nameindex.Index.Lookup","parameters":{"namespace":"user","keys":"1"}}"#, "org.varlink.service.InvalidParameter"),
        (#"{"method":"io.nameindex.Index.Lookup"}"#, "org.varlink.service.InvalidParameter"),
        (#"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"x.y"}}"#, "org.varlink.service.InterfaceNotFound"),
    ])
    func badCallsGetTypedErrors(_ message: String, _ error: String) async throws {
        let r = try await reply(message)
        #expect(r?["error"] == .string(error))
    }

    @Test func aMissingParameterIsNamed() async throws {
        let r = try await reply(#"{"method":"io.nameindex.Index.Lookup","parameters":{"keys":["1"]}}"#)
        #expect(r?["parameters"]?["parameter"] == .string("namespace"))
    }

    @Test func aOnewayCallGetsNoReply() async throws {
        #expect(try await reply(#"{"method":"io.nameindex.Index.Status","oneway":true}"#) == nil)
    }

    @Test func aMoreCallOfASingleAnswerMethodGetsOneFinalReply() async throws {
        let all = try await replies(#"{"method":"io.nameindex.Index.ListNamespaces","more":true}"#)
        #expect(all.count == 1)
        #expect(all.first?["continues"] == nil)
        #expect(all.first?["parameters"]?["generation"] == .number(5))
    }

    @Test func describesTheServiceAndItsInterfaces() async throws {
        let info = try await reply(#"{"method":"org.varlink.service.GetInfo"}"#)
        #expect(info?["parameters"]?["interfaces"] == .array([.string("org.varlink.service"), .string("io.nameindex.Index")]))
        let description = try await reply(
            #"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"io.nameindex.Index"}}"#)
        #expect(description?["parameters"]?["description"] == .string(IndexInterface.definition))
    }

    @Test func statusListsSourcesAndNamespaces() async throws {
        let r = try await reply(#"{"method":"io.nameindex.Index.Status","parameters":{}}"#)
        let status = try JSONDecoder().decode(IndexInterface.StatusReply.self, from: JSONEncoder().encode(r?["parameters"]))
        #expect(status.generation == 5)
        #expect(status.namespaces == [.init(name: "user", entries: 1, lookups: 0, hits: 0)])
        #expect(status.sources.map(\.name) == ["users"])
        #expect(status.state == .starting)
    }
}

@Suite struct ReloadCoordinatorTests {
    static let sources = [
        Configuration.Source(name: "a", namespace: "n", settings: .file(.init(path: "/a")), origin: "/c"),
        Configuration.Source(name: "b", namespace: "n", settings: .file(.init(path: "/b")), origin: "/c"),
    ]

    static func index(generation: UInt64, sources: [String]) -> Index {
        var builder = IndexBuilder(generation: generation, createdAtMicroseconds: 0)
        for s in sources { builder.add(source: s, namespace: "n", table: .empty()) }
        return builder.build()
    }

    @Test func callersDuringALoadJoinItAndGetItsOutcome() async throws {
        let coordinator = ReloadCoordinator(sources: Self.sources, startedAtUSec: 0)
        await coordinator.loadStarted()
        async let first = coordinator.requestReload()
        async let second = coordinator.requestReload()
        try await Task.sleep(for: .milliseconds(50))
        await coordinator.loadFinished(
            index: Self.index(generation: 1, sources: ["a", "b"]),
            outcomes: [SourceOutcome(source: "a", table: .empty()), SourceOutcome(source: "b", table: .empty())],
            duration: .milliseconds(3), at: 10)
        let outcomes = await [first, second]
        for outcome in outcomes {
            #expect(try outcome.get().generation == 1)
        }
        // Joining did not queue another load.
        #expect(await coordinator.takeRequest() == nil)
    }

    @Test func callersAskingForSourcesTheLoadDoesNotFetchShareOneFollowUp() async throws {
        let three = Self.sources + [Configuration.Source(name: "c", namespace: "m", settings: .file(.init(path: "/c")), origin: "/c")]
        let coordinator = ReloadCoordinator(sources: three, startedAtUSec: 0)
        await coordinator.loadStarted(sources: ["a"])
        async let joining = coordinator.requestReload(sources: ["a"])
        async let wantsB = coordinator.requestReload(sources: ["b"])
        async let wantsC = coordinator.requestReload(sources: ["c", "a"])
        try await Task.sleep(for: .milliseconds(50))
        await coordinator.loadFinished(
            index: Self.index(generation: 1, sources: ["a"]),
            outcomes: [SourceOutcome(source: "a", table: .empty()), SourceOutcome(source: "b", fetched: false),
                       SourceOutcome(source: "c", fetched: false)],
            duration: .zero, at: 10)
        #expect(try await joining.get().generation == 1)
        // Exactly one follow-up, for everything asked for that the first load did not fetch.
        #expect(await coordinator.takeRequest() == ["a", "b", "c"])
        #expect(await coordinator.takeRequest() == nil)
        await coordinator.loadStarted(sources: ["a", "b", "c"])
        let status = await coordinator.status(index: nil, version: "t")
        #expect(status.sources.map(\.state) == [.loadedAndReloading, .loading, .loading])
        await coordinator.loadFinished(
            index: Self.index(generation: 2, sources: ["a", "b", "c"]),
            outcomes: three.map { SourceOutcome(source: $0.name, table: .empty()) }, duration: .zero, at: 20)
        #expect(try await wantsB.get().generation == 2)
        #expect(try await wantsC.get().generation == 2)
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

@Suite struct ControlAccessTests {
    @Test func rootTheDaemonsUserAndTheControlGroupMayControl() {
        let access = ControlAccess(daemonUID: 900, controlGID: 950, controlGroup: "nameindex")
        #expect(access.mayControl(PeerCredentials(pid: 1, uid: 0, gid: 0)))
        #expect(access.mayControl(PeerCredentials(pid: 1, uid: 900, gid: 900)))
        #expect(access.mayControl(PeerCredentials(pid: 1, uid: 1000, gid: 950)))
        #expect(!access.mayControl(PeerCredentials(pid: Int32.max, uid: 1000, gid: 1000)))
        #expect(!access.mayControl(nil))
        #expect(!ControlAccess(daemonUID: 900).mayControl(PeerCredentials(pid: 1, uid: 1000, gid: 950)))
    }

    @Test func anUnknownGroupIsAnError() {
        #expect(throws: DaemonError.self) { try ControlAccess.resolving(group: "no-such-group-nameindex") }
        #expect((try? ControlAccess.resolving(group: "root"))?.controlGID == 0)
    }
}
