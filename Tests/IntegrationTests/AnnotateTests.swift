import Foundation
import NameIndexClient
import Testing

/// `TableRecords`, the reader and writer of `namectl annotate`, on every edge of quoting.
@Suite struct TableRecordsTests {
    func records(_ text: String, _ format: TableRecords.Format, chunk: Int) throws -> ([TableRecords.Record], TableRecords) {
        var reader = TableRecords(format: format)
        let bytes = Array(text.utf8)
        var out: [TableRecords.Record] = []
        var at = 0
        while at < bytes.count {
            let end = min(bytes.count, at + chunk)
            out += try reader.feed(bytes[at..<end])
            at = end
        }
        if let last = reader.finish() { out.append(last) }
        return (out, reader)
    }

    @Test(arguments: [1, 2, 5, 1000])
    func csvRecordsKeepEveryByteAndReadQuotedValues(chunk: Int) throws {
        let text = "id,comment\r\n42,\"a, \"\"quoted\"\"\nline\"\n\"1022\",plain\n7,\n"
        let (rows, reader) = try records(text, .csv, chunk: chunk)
        #expect(rows.count == 4)
        #expect(rows.map { String(decoding: $0.bytes + $0.end, as: UTF8.self) }.joined() == text, "copied byte for byte")
        #expect(reader.value(rows[1], field: 0) == "42")
        #expect(reader.value(rows[1], field: 1) == "a, \"quoted\"\nline")
        #expect(reader.value(rows[2], field: 0) == "1022", "a quoted key is read without its quotes")
        #expect(reader.value(rows[3], field: 1) == "")
        #expect(reader.value(rows[3], field: 2) == nil)
        #expect(rows[0].end == [0x0D, 0x0A])
    }

    @Test func aNameIsQuotedInCSVWhenItMustBeAndFlattenedInTSV() {
        let csv = TableRecords(format: .csv)
        #expect(csv.field("plain") == Array("plain".utf8))
        #expect(csv.field("a,b") == Array("\"a,b\"".utf8))
        #expect(csv.field("say \"hi\"") == Array("\"say \"\"hi\"\"\"".utf8))
        #expect(csv.field("two\nlines") == Array("\"two\nlines\"".utf8))
        #expect(csv.field(" padded") == Array("\" padded\"".utf8))
        let tsv = TableRecords(format: .tsv)
        #expect(tsv.field("a\tb\nc") == Array("a b c".utf8))
    }

    @Test func aColumnIsInsertedAfterTheKeyAndTheRestIsUntouched() throws {
        let (rows, reader) = try records("x,\"4,2\",\"z\"\"\"\n", .csv, chunk: 100)
        let out = reader.render(rows[0], inserting: "Zoë, M.", after: 1)
        #expect(String(decoding: out, as: UTF8.self) == "x,\"4,2\",\"Zoë, M.\",\"z\"\"\"\n")
        // Past the last column: unchanged.
        #expect(reader.render(rows[0], inserting: "n", after: 5) == rows[0].bytes + rows[0].end)
    }

    @Test func anUnclosedQuoteStopsAtTheLimitInsteadOfHoldingTheRest() throws {
        var reader = TableRecords(format: .csv, maximumRecordBytes: 64)
        _ = try reader.feed(Array("1,ok\n2,\"open".utf8))
        #expect(throws: TableRecords.TooLong.self) { _ = try reader.feed(Array(repeating: UInt8(ascii: "x"), count: 100)) }
    }
}

/// `namectl annotate` against a running daemon.
@Suite struct AnnotateTests {
    func annotate(_ daemon: DaemonHarness, _ input: String, _ arguments: [String]) throws -> ProgramResult {
        let file = daemon.directory.appendingPathComponent("input-\(UUID())")
        try input.write(to: file, atomically: true, encoding: .utf8)
        return try runProgram(
            "/bin/sh", ["-c", "n=$0 s=$1 f=$2; shift 2; exec \"$n\" --socket \"$s\" annotate \"$@\" < \"$f\"", Products.namectl, daemon.socketPath, file.path] + arguments)
    }

    @Test func tsvAndCSVTablesGetTheNameAfterTheKeyColumn() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        let tsv = try annotate(daemon, "order\tuser\tamount\n1\t42\t9.50\n2\t999\t1.00\n3\t1022\t4\n", ["user", "--key-column", "2", "--header"])
        #expect(tsv.status == 0, "\(tsv.stderr)")
        #expect(tsv.stdout == "order\tuser\tuser_name\tamount\n1\t42\tZoë Martin\t9.50\n2\t999\t\t1.00\n3\t1022\t王小明\t4\n")

        // CSV: quoted keys and fields with commas and line breaks, a name that needs quotes.
        let csv = try annotate(daemon, "\"1001\",\"a, b\"\n2001,\"multi\nline\"\n", ["user", "--key-column", "1", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout == "\"1001\",Ana Souza,\"a, b\"\n2001,Mateo Fernández,\"multi\nline\"\n", "\(csv.stdout)")

        // --missing keep and drop.
        let keep = try annotate(daemon, "42\n999\n", ["user", "--key-column", "1", "--missing", "keep"])
        #expect(keep.stdout == "42\tZoë Martin\n999\t999\n")
        let drop = try annotate(daemon, "42\n999\n", ["user", "--key-column", "1", "--missing", "drop"])
        #expect(drop.stdout == "42\tZoë Martin\n")

        // A record without the key column is copied unchanged and counted.
        let short = try annotate(daemon, "a\t42\nb\n", ["user", "--key-column", "2"])
        #expect(short.status == 1 && short.stdout == "a\t42\tZoë Martin\nb\n", "\(short.stdout)")
        #expect(short.stderr.contains("1 record had no column 2"), "\(short.stderr)")
        try await daemon.stop()
    }

    @Test func aLongInputGoesThroughInBatches() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        let rows = 25_000
        let input = (0..<rows).map { "\($0)\t\($0 % 2 == 0 ? "42" : "2001")\n" }.joined()
        let out = try annotate(daemon, input, ["user", "--key-column", "2"])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.count == rows)
        #expect(lines.first == "0\t42\tZoë Martin" && lines.last == "24999\t2001\tMateo Fernández")
        try await daemon.stop()
    }
}
