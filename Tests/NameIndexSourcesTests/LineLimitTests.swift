import NameIndexCore
import NameIndexSources
import Testing

/// Rows no parser may hold or recurse on: lines over `max_line_bytes` in every format, and
/// NDJSON nested past its depth limit. Each is one counted skip; the rows around it load.
@Suite struct LineLimitTests {
    static let limit = 1024

    func rows(_ format: FileFormat, _ input: [UInt8], chunkSize: Int, header: Bool = false) -> ([[String]], SkipCounts) {
        switch format {
        case .ndjson:
            return parseNDJSON(input, chunkSize: chunkSize, maximumLineBytes: Self.limit)
        case .tsv, .csv:
            return parse(
                input,
                DelimitedParser(format: format == .tsv ? .tsv : .csv, header: header, maximumLineBytes: Self.limit),
                chunkSize: chunkSize)
        }
    }

    func line(_ format: FileFormat, _ key: String, _ name: String) -> String {
        format == .ndjson ? #"{"id": "\#(key)", "name": "\#(name)"}"# + "\n" : key + (format == .tsv ? "\t" : ",") + name + "\n"
    }

    @Test(arguments: [FileFormat.tsv, .csv, .ndjson], [1, 7, 1000, 1025, 4096, .max])
    func aLineOverTheLimitIsOneCountedSkip(format: FileFormat, chunkSize: Int) {
        let long = String(repeating: "x", count: 5000)
        let exact = String(repeating: "y", count: Self.limit - line(format, "2", "").utf8.count + 1)
        let input = line(format, "1", "Ana") + line(format, "9", long) + line(format, "2", exact) + line(format, "3", long)
            + line(format, "4", "Bo")
        let (rows, skipped) = self.rows(format, Array(input.utf8), chunkSize: chunkSize)
        #expect(rows == [["1", "Ana"], ["2", exact], ["4", "Bo"]], "chunk \(chunkSize)")
        #expect(skipped == SkipCounts(tooLong: 2))
    }

    /// A long last line with no line end is counted too.
    @Test(arguments: [FileFormat.tsv, .csv, .ndjson])
    func aLongLastLineWithoutALineEnd(format: FileFormat) {
        var input = line(format, "1", "Ana") + line(format, "2", String(repeating: "z", count: 3000))
        input.removeLast()
        for chunk in [5, 100, .max] {
            let (rows, skipped) = self.rows(format, Array(input.utf8), chunkSize: chunk)
            #expect(rows == [["1", "Ana"]] && skipped == SkipCounts(tooLong: 1))
        }
    }

    /// A quoted CSV field with line breaks counts all its lines; past the limit the record is
    /// dropped whole, and parsing picks up after its closing quote.
    @Test(arguments: [3, 64, .max])
    func aLongQuotedCSVRecordIsDroppedWhole(chunkSize: Int) {
        let field = (0..<40).map { _ in String(repeating: "q", count: 40) }.joined(separator: "\n")
        let input = "1,Ana\n2,\"\(field)\"\n3,\"short\nbreak\"\n4,\"\(String(repeating: "\"\"", count: 600))\"\n5,Bo\n"
        let (rows, skipped) = self.rows(.csv, Array(input.utf8), chunkSize: chunkSize)
        #expect(rows == [["1", "Ana"], ["3", "short\nbreak"], ["5", "Bo"]])
        #expect(skipped == SkipCounts(tooLong: 2))
    }

    /// A quote opened and never closed: everything after it is one record, dropped at the
    /// limit and counted once, never held.
    @Test func anUnclosedQuoteIsOneSkipWhateverFollows() {
        let tail = (0..<10_000).map { "\($0),name \($0)" }.joined(separator: "\n")
        let input = "1,Ana\n2,\"open\n" + tail + "\n"
        let (rows, skipped) = self.rows(.csv, Array(input.utf8), chunkSize: 4096)
        #expect(rows == [["1", "Ana"]])
        #expect(skipped == SkipCounts(tooLong: 1))
    }

    @Test func aHeaderOverTheLimitIsAnError() {
        var parser = DelimitedParser(format: .tsv, header: true, keyColumn: .name("id"), nameColumn: .name("name"), maximumLineBytes: Self.limit)
        var batch = RowBatch()
        let input = Array((String(repeating: "h", count: 2000) + "\n1\tAna\n").utf8)
        #expect(throws: DelimitedParser.HeaderError(column: "", header: [], lineLimit: Self.limit)) {
            try input.withUnsafeBytes { try parser.feed($0, into: &batch) }
        }
    }

    /// The stack overflow of issue 12: a line of 200,000 `[`. Now one malformed row.
    @Test func deepNestingIsMalformedNotACrash() {
        var input = #"{"id": 1, "name": "Ana"}"# + "\n"
        input += #"{"id": 2, "x": "# + String(repeating: "[", count: 200_000) + "}\n"
        input += #"{"id": 3, "x": "# + String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000) + ", \"name\": \"deep\"}\n"
        input += #"{"id": 4, "name": "Bo"}"# + "\n"
        let (rows, skipped) = parseNDJSONUnlimited(input)
        #expect(rows == [["1", "Ana"], ["4", "Bo"]])
        #expect(skipped == SkipCounts(malformed: 2))
    }

    @Test func nestingUpToTheLimitIsRead() {
        // The line's object is level 1; a member value may nest 63 more.
        let depth = NDJSONParser.maximumDepth - 1
        let ok = #"{"x": "# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + #", "id": 1, "name": "ok"}"#
        let deep = #"{"x": "# + String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1) + #", "id": 2, "name": "no"}"#
        let (rows, skipped) = parseNDJSONUnlimited(ok + "\n" + deep + "\n")
        #expect(rows == [["1", "ok"]])
        #expect(skipped == SkipCounts(malformed: 1))
    }

    func parseNDJSONUnlimited(_ text: String) -> ([[String]], SkipCounts) {
        parseNDJSON(Array(text.utf8), maximumLineBytes: 1 << 30)
    }
}
