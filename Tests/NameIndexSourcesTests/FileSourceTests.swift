import Foundation
import NameIndexCore
import NameIndexSources
import Testing

@Suite struct FileSourceTests {
    static func temporaryFile(_ contents: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-\(UUID()).tsv").path
        try Data(contents).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func streamsEveryRowInBatchesAcrossSmallReads() async throws {
        // A 4-byte emoji lands across read boundaries for most chunk sizes.
        var text = ""
        for i in 0..<10_000 { text += "\(i)\tname \(i) 🌍\n" }
        let path = try Self.temporaryFile(Array(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var source = FileSource(name: "s", namespace: "n", path: path, header: false)
        source.chunkSize = 1000
        source.batchRows = 512
        var rows = 0
        var batches = 0
        var last = ""
        try await source.fetchWhole { batch in
            batches += 1
            #expect(batch.count <= 512 + 100)
            batch.forEach { key, name in
                rows += 1
                #expect(String(decoding: name, as: UTF8.self) == "name \(String(decoding: key, as: UTF8.self)) 🌍")
                last = String(decoding: key, as: UTF8.self)
            }
        }
        #expect(rows == 10_000)
        #expect(last == "9999")
        #expect(batches > 10)
    }

    @Test func aMissingFileIsANotFoundError() async {
        let source = FileSource(name: "s", namespace: "n", path: "/nonexistent/nameindex.tsv", header: false)
        await #expect {
            try await source.fetchWhole { _ in }
        } throws: { error in
            let error = error as? SourceError
            return error?.code == .notFound && error?.message.contains("/nonexistent/nameindex.tsv") == true
        }
    }
}
