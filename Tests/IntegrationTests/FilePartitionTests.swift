import Foundation
import NameIndexCore
import NameIndexSources
import Testing

/// Byte-range partitions of files: every line in exactly one range, whatever the cut.
@Suite struct FilePartitionTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-fp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Lines of very different lengths, so that cuts land everywhere within lines.
    static func tsv(_ count: Int, header: Bool = false, lineEnd: String = "\n", finalNewline: Bool = true) -> String {
        var text = header ? "name\tid\(lineEnd)" : ""
        for i in 0..<count {
            let name = String(repeating: "é", count: i % 13) + "name \(i) 🌍"
            text += header ? "\(name)\t\(i * 3 - 100)" : "\(i * 3 - 100)\t\(name)"
            if i < count - 1 || finalNewline { text += lineEnd }
        }
        return text
    }

    @Test(arguments: [1, 2, 7, 16])
    func tsvWithHeaderCRLFAndNoFinalNewline(partitions: Int) async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try write("people.tsv", "\u{FEFF}" + Self.tsv(3000, header: true, lineEnd: "\r\n", finalNewline: false))
        let options = FileOptions(path: path, format: .tsv, header: true, keyColumn: .name("id"), nameColumn: .name("name"))
        let source = FileSource(name: "p", namespace: "n", options: options)
        let whole = try await fetchAll(source, partitions: 1)
        #expect(whole.rows.count == 3000)
        let split = try await fetchAll(source, partitions: partitions)
        #expect(sortedRows(split.rows) == sortedRows(whole.rows))
        #expect(split.skipped == whole.skipped)
    }

    @Test(arguments: [2, 7, 16])
    func ndjsonAndAGlobOfSeveralFiles(partitions: Int) async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        for file in 0..<3 {
            var text = ""
            for i in 0..<(500 * (file + 1)) { text += "{\"id\": \(file * 10_000 + i), \"name\": \"n\\u00e9 \(i)\", \"pad\": \"\(String(repeating: "x", count: i % 50))\"}\n" }
            text += "\n{\"id\": null, \"name\": \"skipped\"}\nnot json\n"
            _ = try write("part-\(file).ndjson", text)
        }
        let options = FileOptions(path: directory.appendingPathComponent("part-*.ndjson").path, format: .ndjson)
        let source = FileSource(name: "p", namespace: "n", options: options)
        let whole = try await fetchAll(source, partitions: 1)
        #expect(whole.rows.count == 3000)
        #expect(whole.skipped == SkipCounts(null: 3, malformed: 3))
        let split = try await fetchAll(source, partitions: partitions)
        #expect(sortedRows(split.rows) == sortedRows(whole.rows))
        #expect(split.skipped == whole.skipped)
    }

    @Test func moreRangesThanBytes() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try write("tiny.tsv", "k\tv\n1\ta\n")
        let source = FileSource(name: "p", namespace: "n", options: FileOptions(path: path, format: .tsv, header: true))
        let split = try await fetchAll(source, partitions: 16)
        #expect(split.rows == [["1", "a"]])
        let empty = try write("empty.tsv", "")
        #expect(try await fetchAll(FileSource(name: "e", namespace: "n", path: empty), partitions: 4).rows.isEmpty)
    }
}
