import Foundation
import NameIndexCore
import NameIndexSources
import Testing

@Suite struct FileGlobTests {
    static func directory(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-glob-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return directory
    }

    static func rows(_ source: FileSource) async throws -> [[String]] {
        var rows: [[String]] = []
        try await source.fetchWhole { batch in
            batch.forEach { k, n in rows.append([String(decoding: k, as: UTF8.self), String(decoding: n, as: UTF8.self)]) }
        }
        return rows
    }

    @Test func readsEveryMatchInNameOrderEachWithItsHeader() async throws {
        let directory = try Self.directory([
            "part-2.csv": "id,name\n3,Chloé\n1,second copy\n",
            "part-1.csv": "id,name\n1,Ana\n2,Björn\n",
            "other.csv": "id,name\n9,not matched\n",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = FileSource(
            name: "s", namespace: "n", path: directory.path + "/part-*.csv", format: .csv, header: true,
            keyColumn: .name("id"), nameColumn: .name("name"))
        #expect(source.isGlob)
        #expect(try await Self.rows(source) == [["1", "Ana"], ["2", "Björn"], ["3", "Chloé"], ["1", "second copy"]])
    }

    @Test func noMatchIsAnError() async throws {
        let directory = try Self.directory([:])
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = FileSource(name: "s", namespace: "n", path: directory.path + "/*.tsv", header: false)
        await #expect {
            try await source.fetchWhole { _ in }
        } throws: { error in
            (error as? SourceError)?.code == .notFound && (error as? SourceError)?.message.hasPrefix("No file matches") == true
        }
    }
}
