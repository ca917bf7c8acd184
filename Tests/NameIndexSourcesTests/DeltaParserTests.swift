import NameIndexCore
import NameIndexSources
import Testing

/// The rows of a `delta_command`'s output: key, name, deleted flag and watermark, in TSV, CSV
/// and NDJSON, fed in chunks of any size.
@Suite struct DeltaParserTests {
    func delimited(_ text: String, _ format: DelimitedParser.Format, nullValue: String? = nil, chunk: Int = .max) throws -> DeltaCollector {
        var parser = DelimitedParser(format: format, nullValue: nullValue, delta: true)
        var batch = RowBatch()
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            try bytes[offset..<end].withUnsafeBytes { try parser.feed($0, into: &batch) }
            offset = end
        }
        try parser.finish(into: &batch)
        var collector = DeltaCollector()
        collector.add(batch)
        return collector
    }

    func ndjson(_ text: String, chunk: Int = .max) -> DeltaCollector {
        var parser = NDJSONParser(delta: true)
        var batch = RowBatch()
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            bytes[offset..<end].withUnsafeBytes { parser.feed($0, into: &batch) }
            offset = end
        }
        parser.finish(into: &batch)
        var collector = DeltaCollector()
        collector.add(batch)
        return collector
    }

    @Test(arguments: [Int.max, 1, 7])
    func tsvRowsAreUpsertsAndTombstonesWithTheirWatermarks(chunk: Int) throws {
        let text = "1\tone\t0\t5\n2\t\t1\t6\n3\tthree\t\t\n4\tfour\tmaybe\t7\n5\tfive\n\\N\tx\t0\t8\n6\tsix\tt\t9\n7\t\\N\tfalse\t3\n"
        let collector = try delimited(text, .tsv, nullValue: "\\N", chunk: chunk)
        #expect(collector.rowTexts == [["1", "one", "5"], ["2", "", "6"], ["3", "three", ""], ["6", "", "9"]])
        // A flag that is neither true nor false, and a short row: malformed; a NULL key, and a
        // NULL name that is not deleted: NULL.
        #expect(collector.skipped == SkipCounts(null: 2, malformed: 2))
        #expect(collector.maximumWatermark == "9")
    }

    @Test(arguments: [Int.max, 1, 5])
    func csvRowsKeepTheirQuoting(chunk: Int) throws {
        let text = "1,\"one, with a comma\",false,10\n2,\"\",\"TRUE\",\"11\"\n3,\"two\nlines\",no,12\n4,x,\"y\"z,13\n"
        let collector = try delimited(text, .csv, chunk: chunk)
        #expect(collector.rowTexts == [["1", "one, with a comma", "10"], ["2", "", "11"], ["3", "two\nlines", "12"]])
        #expect(collector.skipped == SkipCounts(malformed: 1))
        #expect(collector.maximumWatermark == "12")
    }

    @Test(arguments: [Int.max, 1, 9])
    func ndjsonRowsReadTheDeletedAndWatermarkMembers(chunk: Int) {
        let text = """
            {"id": 1, "name": "one", "deleted": false, "watermark": 5}
            {"watermark": "6", "deleted": true, "id": 2}
            {"id": 3, "name": "three"}
            {"id": 4, "name": "x", "deleted": "maybe", "watermark": 7}
            {"name": "no key", "deleted": false, "watermark": 8}
            {"id": 5, "name": "five", "deleted": 1, "watermark": 9}
            {"id": 6, "name": "six", "deleted": [true]}
            {"id": 7, "name": "sev\\u00e9n", "deleted": null, "watermark": null}
            {"id": true, "name": "bad key"}
            """
        let collector = ndjson(text, chunk: chunk)
        #expect(collector.rowTexts == [["1", "one", "5"], ["2", "", "6"], ["3", "three", ""], ["5", "", "9"], ["7", "sevén", ""]])
        #expect(collector.skipped == SkipCounts(null: 1, malformed: 3))
        #expect(collector.maximumWatermark == "9")
    }

    @Test func theLatestRowOfAKeyWins() throws {
        let collector = try delimited("1\told\t0\t5\n1\t\t1\t7\n1\tmiddle\t0\t6\n2\ta\t0\t1\n2\tb\t0\t1\n", .tsv)
        let table = try collector.table()
        #expect(table.name(forKey: "1") == "", "the tombstone has the largest watermark")
        #expect(table.name(forKey: "2") == "b", "on a tie, the later row")
    }
}
