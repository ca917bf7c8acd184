#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

@Suite struct VarlinkMoreTests {
    @Test func aMoreCallEndsWithAReplyThatDoesNotContinue() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        var replies: [(IndexInterface.ListNamespacesReply, Bool)] = []
        try await VarlinkConnection.withConnection(socketPath: daemon.socketPath) { connection in
            try await connection.callMore(
                IndexInterface.Method.listNamespaces.qualifiedName, parameters: NoParameters(),
                returning: IndexInterface.ListNamespacesReply.self
            ) { reply, continues in replies.append((reply, continues)) }
            // The connection is ready for the next call afterwards.
            let lookup: IndexInterface.LookupReply = try await connection.call(
                IndexInterface.Method.lookup.qualifiedName,
                parameters: IndexInterface.LookupParameters(namespace: "user", keys: ["42"]))
            #expect(lookup.names == ["Zoë Martin"])
        }
        #expect(replies.count == 1)
        #expect(replies.first?.1 == false)
        #expect(replies.first?.0.namespaces.map(\.name) == ["country", "user"])
        try await daemon.stop()
    }
}
