import Foundation
import NameIndexCore
import NameIndexSources
import Testing

/// Parses `input` fed in chunks of `chunkSize` bytes; returns rows and skip counts.
func parseTSV(_ input: [UInt8], header: Bool = false, chunkSize: Int = .max) -> ([[String]], SkipCounts) {
    parse(input, DelimitedParser(format: .tsv, header: header), chunkSize: chunkSize)
}

/// Runs `parser` over `input` fed in chunks of `chunkSize` bytes; returns rows and skip counts.
func parse(_ input: [UInt8], _ start: DelimitedParser, chunkSize: Int = .max) -> ([[String]], SkipCounts) {
    var parser = start
    var batch = RowBatch()
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + chunkSize)
        input[offset..<end].withUnsafeBytes { try! parser.feed($0, into: &batch) }
        offset = end
    }
    try! parser.finish(into: &batch)
    var rows: [[String]] = []
    batch.forEach { key, name in
        rows.append([String(decoding: key, as: UTF8.self), String(decoding: name, as: UTF8.self)])
    }
    return (rows, batch.skipped)
}

func parseTSV(_ text: String, header: Bool = false, chunkSize: Int = .max) -> ([[String]], SkipCounts) {
    parseTSV(Array(text.utf8), header: header, chunkSize: chunkSize)
}

@Suite struct TSVParserTests {
    @Test func readsKeyAndNamePerLine() {
        let (rows, skipped) = parseTSV("1\tAna\n2\tBjörn\n")
        #expect(rows == [["1", "Ana"], ["2", "Björn"]])
        #expect(skipped == SkipCounts())
    }

    @Test func ignoresBlankLinesWithoutCountingThem() {
        let (rows, skipped) = parseTSV("\n1\tAna\n\n\r\n2\tB\n\n")
        #expect(rows == [["1", "Ana"], ["2", "B"]])
        #expect(skipped.total == 0)
    }

    @Test func acceptsCRLFLineEnds() {
        let (rows, _) = parseTSV("1\tAna\r\n2\tBjörn\r\n")
        #expect(rows == [["1", "Ana"], ["2", "Björn"]])
    }

    @Test func readsALastLineWithoutItsEnd() {
        #expect(parseTSV("1\tAna\n2\tB").0 == [["1", "Ana"], ["2", "B"]])
        #expect(parseTSV("1\tAna\r").0 == [["1", "Ana"]])
    }

    @Test func skipsAndCountsALineWithoutATab() {
        let (rows, skipped) = parseTSV("1\tAna\njust text\n2\tB\n")
        #expect(rows == [["1", "Ana"], ["2", "B"]])
        #expect(skipped == SkipCounts(malformed: 1))
    }

    @Test func skipsAndCountsEmptyFields() {
        let (rows, skipped) = parseTSV("\tno key\n3\t\n4\tok\n\t\n")
        #expect(rows == [["4", "ok"]])
        #expect(skipped == SkipCounts(empty: 3))
    }

    @Test func skipsAndCountsInvalidUTF8InKeyOrName() {
        var input = Array("1\tAna\n".utf8)
        input += [0x32, 0x09, 0x42, 0xFF, 0x0A]  // "2\tB\xFF\n"
        input += [0xC3, 0x09, 0x43, 0x0A]  // "\xC3\tC\n": truncated sequence in the key
        input += Array("4\tD\n".utf8)
        let (rows, skipped) = parseTSV(input)
        #expect(rows == [["1", "Ana"], ["4", "D"]])
        #expect(skipped == SkipCounts(invalidUTF8: 2))
    }

    @Test func keepsNonASCIINamesByteForByte() {
        let names = ["Zoë Martin", "王小明", "김민준", "Yasmin Haddad 🌍", "שרה כהן", "e\u{301}"]
        let input = names.enumerated().map { "\($0.offset)\t\($0.element)\n" }.joined()
        #expect(parseTSV(input).0.map { $0[1] } == names)
    }

    @Test func ignoresColumnsAfterTheName() {
        #expect(parseTSV("1\tAna\textra\tmore\n").0 == [["1", "Ana"]])
    }

    @Test func keepsSpacesInsideFields() {
        #expect(parseTSV(" 1 \t Ana \n").0 == [[" 1 ", " Ana "]])
    }

    @Test func dropsTheHeaderLineWhenAsked() {
        #expect(parseTSV("id\tname\n1\tAna\n", header: true).0 == [["1", "Ana"]])
        #expect(parseTSV("id\tname\n1\tAna\n", header: false).0 == [["id", "name"], ["1", "Ana"]])
    }

    @Test func dropsAByteOrderMark() {
        #expect(parseTSV("\u{FEFF}1\tAna\n").0 == [["1", "Ana"]])
        #expect(parseTSV("\u{FEFF}id\tname\n1\tAna\n", header: true).0 == [["1", "Ana"]])
    }

    @Test func givesTheSameResultWhateverTheChunkSize() {
        let input = "\u{FEFF}id\tname\r\n1\tZoë\r\n\nbad line\n2\t王小明\n\t\n3\t🌍 emoji\textra\n4\tlast"
        let expected = parseTSV(input, header: true)
        #expect(expected.0.count == 4)
        for size in 1...12 {
            let result = parseTSV(input, header: true, chunkSize: size)
            #expect(result.0 == expected.0, "chunk size \(size)")
            #expect(result.1 == expected.1, "chunk size \(size)")
        }
    }

    @Test func anEmptyInputHasNoRows() {
        let (rows, skipped) = parseTSV("")
        #expect(rows.isEmpty)
        #expect(skipped.total == 0)
    }
}

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
