import Foundation
import NameIndexProtocol
import Testing

@Suite struct IndexInterfaceTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theDocumentedDefinitionIsTheServedOne() throws {
        let documented = try String(
            contentsOf: Self.packageRoot.appendingPathComponent("docs/io.nameindex.Index.varlink"), encoding: .utf8)
        #expect(documented == IndexInterface.definition)
    }

    @Test func theDefinitionDeclaresEveryMethod() {
        for method in IndexInterface.Method.allCases {
            #expect(IndexInterface.definition.contains("method \(method.rawValue)("))
        }
        #expect(IndexInterface.definition.contains("interface io.nameindex.Index\n"))
    }

    @Test func lookupRepliesKeepNullsInPlace() throws {
        let reply = IndexInterface.LookupReply(names: [nil, "Zoë", nil], generation: 4)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(reply), as: UTF8.self)
        #expect(json == #"{"generation":4,"names":[null,"Zoë",null]}"#)
        #expect(try JSONDecoder().decode(IndexInterface.LookupReply.self, from: Data(json.utf8)) == reply)
    }

    @Test(arguments: [
        IndexInterface.Failure.noSuchNamespace("user"),
        .reloadFailed(reason: "source 'a': boom", generation: 7, failedSources: ["a", "b"]),
        .permissionDenied(uid: 1000),
        .invalidMessage("invalid JSON"),
        .shuttingDown,
    ])
    func typedErrorsSurviveTheWire(_ failure: IndexInterface.Failure) throws {
        let data = try JSONEncoder().encode(failure.reply.parameters)
        let parameters = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(IndexInterface.Failure(VarlinkErrorReply(name: failure.reply.name, parameters: parameters)) == failure)
        #expect(IndexInterface.definition.contains("error \(failure.reply.name.split(separator: ".").last!) ("))
    }
}
