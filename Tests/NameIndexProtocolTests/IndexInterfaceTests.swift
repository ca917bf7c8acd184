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

@Suite struct HumanFormatTests {
    @Test(arguments: [(0, "0"), (999, "999"), (1000, "1,000"), (12345, "12,345"), (1_234_567, "1,234,567"), (-4200, "-4,200")])
    func groupsThousands(_ value: Int, _ text: String) {
        #expect(HumanFormat.count(value) == text)
    }

    @Test(arguments: [
        (UInt64(850), "850us"), (12_000, "12ms"), (3_250_000, "3.2s"), (245_000_000, "4min 5s"),
        (7_800_000_000, "2h 10min"), (273_600_000_000, "3d 4h"),
    ])
    func namesDurations(_ microseconds: UInt64, _ text: String) {
        #expect(HumanFormat.duration(microseconds: microseconds) == text)
    }
}

@Suite struct HumanBytesTests {
    @Test(arguments: [(0, "0B"), (512, "512B"), (1536, "1.5K"), (327_600_000, "312.4M"), (1_288_490_189, "1.2G")])
    func namesSizes(_ value: Int, _ text: String) {
        #expect(HumanFormat.bytes(value) == text)
    }
}
