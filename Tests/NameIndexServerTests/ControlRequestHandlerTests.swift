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
            name: "users", namespace: "user", settings: FileKind(.init(path: "/x.tsv")), origin: "/etc/x.toml")
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
