import NameIndexCore
import NameIndexSources
import Testing

/// The sample of skipped rows the parsers keep: every reason, with the line and byte offset
/// where the row began and its bytes, however the input is cut into chunks.
@Suite struct SkippedRowSampleTests {
    struct Seen: Equatable, CustomStringConvertible {
        var reason: SkipReason
        var line: Int?
        var offset: Int?
        var raw: String
        var key: String?
        var description: String { "\(reason.rawValue)@\(line ?? -1):\(offset ?? -1) \(raw) key=\(key ?? "nil")" }
    }

    func seen(_ batch: RowBatch) -> [Seen] {
        batch.skippedRows.map {
            Seen(
                reason: $0.reason, line: $0.locator.line, offset: $0.locator.offset, raw: String(decoding: $0.raw, as: UTF8.self),
                key: $0.key.map { String(decoding: $0, as: UTF8.self) })
        }
    }

    func delimited(_ text: String, _ parser: DelimitedParser, chunk: Int) -> RowBatch {
        var parser = parser
        var batch = RowBatch()
        let bytes = Array(text.utf8)
        var at = 0
        while at < bytes.count {
            let end = min(bytes.count, at + chunk)
            bytes[at..<end].withUnsafeBytes { try! parser.feed($0, into: &batch) }
            at = end
        }
        try! parser.finish(into: &batch)
        return batch
    }

    @Test(arguments: [1, 3, 7, 1000])
    func tsvRowsOfEveryReasonCarryTheirLineAndOffset(chunk: Int) {
        let text = "id\tname\n1\tAna\n\tno key\nbroken\n2\t\n3\tNULL\n4\t\u{FF}x\n" + "5\t" + String(repeating: "y", count: 40) + "\n6\tlast"
        // Invalid UTF-8 written as bytes.
        var bytes = Array(text.utf8)
        let marker = Array("\u{FF}".utf8)
        if let at = bytes.indices.first(where: { bytes[$0...].starts(with: marker) }) { bytes.replaceSubrange(at..<(at + marker.count), with: [0xFF]) }
        var parser = DelimitedParser(format: .tsv, header: true, maximumLineBytes: 30, nullValue: "NULL")
        var batch = RowBatch()
        var at = 0
        while at < bytes.count {
            let end = min(bytes.count, at + chunk)
            bytes[at..<end].withUnsafeBytes { try! parser.feed($0, into: &batch) }
            at = end
        }
        try! parser.finish(into: &batch)
        func offset(of line: String) -> Int {
            let needle = Array(line.utf8)
            return bytes.indices.first { bytes[$0...].starts(with: needle) && ($0 == 0 || bytes[$0 - 1] == 0x0A) }!
        }
        #expect(batch.count == 2)
        #expect(
            seen(batch) == [
                Seen(reason: .empty, line: 3, offset: offset(of: "\tno key"), raw: "\tno key", key: nil),
                Seen(reason: .malformed, line: 4, offset: offset(of: "broken"), raw: "broken", key: nil),
                Seen(reason: .empty, line: 5, offset: offset(of: "2\t"), raw: "2\t", key: "2"),
                Seen(reason: .null, line: 6, offset: offset(of: "3\tNULL"), raw: "3\tNULL", key: "3"),
                Seen(reason: .invalidUTF8, line: 7, offset: offset(of: "4\t"), raw: String(decoding: [0x34, 0x09, 0xFF, 0x78], as: UTF8.self), key: "4"),
                Seen(reason: .tooLong, line: 8, offset: offset(of: "5\t"), raw: "5\t" + String(repeating: "y", count: 40), key: nil),
            ], "\(seen(batch))")
        #expect(batch.skipped.total == 6)
    }

    @Test(arguments: [1, 2, 5, 1000])
    func aCSVRecordIsLocatedAtTheLineWhereItBegan(chunk: Int) {
        let text = "1,\"two\nlines\"\n2,\"open\n3\nx\"y,z\n4,fine\n"
        let batch = delimited(text, DelimitedParser(format: .csv), chunk: chunk)
        #expect(batch.count == 2, "\(seen(batch))")
        // `2,"open` / `3` / `x"y,z` is one record (its quote closes on line 5), and malformed.
        let rows = seen(batch)
        #expect(rows.count == 1 && rows.first?.reason == .malformed && rows.first?.line == 3, "\(rows)")
        #expect(rows.first?.offset == Array(text.utf8).firstIndex(of: UInt8(ascii: "2")))
    }

    @Test func aRowLongerThan200BytesIsCutButItsLengthKept() {
        let long = "k\t" + String(repeating: "é", count: 300)
        let batch = delimited("\(long)\n", DelimitedParser(format: .tsv, maximumLineBytes: 100), chunk: 64)
        #expect(batch.skippedRows.count == 1)
        let row = batch.skippedRows[0]
        #expect(row.reason == .tooLong && row.raw.count == SkippedRow.maximumRawBytes && row.raw.starts(with: Array("k\t".utf8)))
    }

    @Test func theSampleStopsAtItsSizeButTheCountsGoOn() {
        let text = String(repeating: "broken\n", count: 500)
        let batch = delimited(text, DelimitedParser(format: .tsv), chunk: 1000)
        #expect(batch.skipped.malformed == 500)
        #expect(batch.skippedRows.count == SkippedRow.maximumPerBatch)
        #expect(batch.skippedRows.last?.locator.line == SkippedRow.maximumPerBatch)
    }

    @Test(arguments: [1, 4, 1000])
    func ndjsonRowsOfEveryReasonCarryTheirLine(chunk: Int) {
        let text = "{\"id\":1,\"name\":\"a\"}\n{\"id\":null,\"name\":\"b\"}\nnot json\n{\"id\":\"\",\"name\":\"c\"}\n" + "{\"id\":9,\"name\":\"" + String(repeating: "z", count: 80) + "\"}\n"
        var parser = NDJSONParser(keyField: "id", nameField: "name", maximumLineBytes: 60)
        var batch = RowBatch()
        let bytes = Array(text.utf8)
        var at = 0
        while at < bytes.count {
            let end = min(bytes.count, at + chunk)
            bytes[at..<end].withUnsafeBytes { parser.feed($0, into: &batch) }
            at = end
        }
        parser.finish(into: &batch)
        #expect(seen(batch).map(\.reason) == [.null, .malformed, .empty, .tooLong])
        #expect(seen(batch).map(\.line) == [2, 3, 4, 5])
        #expect(seen(batch)[1].raw == "not json")
        #expect(seen(batch)[2].key == nil, "an empty key is no key to show")
    }
}
