import NameIndexCore
import NameIndexSources
import Testing

func parseCSV(
    _ text: String, header: Bool = false, key: DelimitedParser.Column = .number(1),
    name: DelimitedParser.Column = .number(2), chunkSize: Int = .max
) -> ([[String]], SkipCounts) {
    parse(Array(text.utf8), DelimitedParser(format: .csv, header: header, keyColumn: key, nameColumn: name), chunkSize: chunkSize)
}

@Suite struct CSVParserTests {
    @Test func readsPlainFields() {
        let (rows, skipped) = parseCSV("1,Ana\n2,Björn\r\n3,王小明")
        #expect(rows == [["1", "Ana"], ["2", "Björn"], ["3", "王小明"]])
        #expect(skipped.total == 0)
    }

    @Test func quotedFieldsHoldSeparatorsQuotesAndLineBreaks() {
        let input = "1,\"Martin, Zoë\"\n2,\"The \"\"Barista\"\" Pro\"\n3,\"two\nlines\"\n4,\"crlf\r\ninside\"\r\n5,\"\"\"\"\n"
        let (rows, skipped) = parseCSV(input)
        #expect(rows == [["1", "Martin, Zoë"], ["2", "The \"Barista\" Pro"], ["3", "two\nlines"], ["4", "crlf\r\ninside"], ["5", "\""]])
        #expect(skipped.total == 0)
    }

    @Test func aQuotedKeyIsUnquotedToo() {
        #expect(parseCSV("\"42\",\"Zoë\"\n\"a\"\"b\",x\n").0 == [["42", "Zoë"], ["a\"b", "x"]])
    }

    @Test(arguments: [
        "1,Ana \"the\" Great\n",  // a quote inside an unquoted field
        "1,\"Ana\" Great\n",  // text after a closing quote
        "1\n",  // no name column
        "1,\"never closed\n",  // a quote left open at the end
    ])
    func malformedRecordsAreSkippedAndCounted(_ bad: String) {
        let (rows, skipped) = parseCSV("0,ok\n" + bad)
        #expect(rows == [["0", "ok"]])
        #expect(skipped == SkipCounts(malformed: 1))
    }

    @Test func anOpenQuoteSwallowsTheRestAsOneMalformedRecord() {
        // RFC 4180 has no way to tell where a runaway field ends: everything after it is that field.
        let (rows, skipped) = parseCSV("1,\"open\n2,b\n3,c\n")
        #expect(rows.isEmpty)
        #expect(skipped == SkipCounts(malformed: 1))
    }

    @Test func emptyFieldsAndBlankLines() {
        let (rows, skipped) = parseCSV("\n1,\n,x\n\"\",y\n\r\n2,\"\"\n3,z\n")
        #expect(rows == [["3", "z"]])
        #expect(skipped == SkipCounts(empty: 4))
    }

    @Test func invalidUTF8InsideQuotesIsCounted() {
        var input = Array("1,ok\n2,\"bad ".utf8)
        input += [0xFF]
        input += Array("\"\n".utf8)
        let (rows, skipped) = parse(input, DelimitedParser(format: .csv))
        #expect(rows == [["1", "ok"]])
        #expect(skipped == SkipCounts(invalidUTF8: 1))
    }

    @Test func columnsByNumberAndByHeaderName() {
        let text = "\u{FEFF}region,\"user id\",name,email\neu,42,Zoë,z@example.org\nus,7,\"Ana, S.\",a@example.org\n"
        let byName = parseCSV(text, header: true, key: .name("user id"), name: .name("name"))
        #expect(byName.0 == [["42", "Zoë"], ["7", "Ana, S."]])
        let byNumber = parseCSV(text, header: true, key: .number(2), name: .number(3))
        #expect(byNumber.0 == byName.0)
        let nameFirst = parseCSV(text, header: true, key: .number(4), name: .number(2))
        #expect(nameFirst.0 == [["z@example.org", "42"], ["a@example.org", "7"]])
    }

    @Test func aHeaderWithoutTheNamedColumnIsAnError() {
        var parser = DelimitedParser(format: .csv, header: true, keyColumn: .name("id"), nameColumn: .name("name"))
        var batch = RowBatch()
        #expect(throws: DelimitedParser.HeaderError(column: "id", header: ["key", "name"])) {
            try Array("key,name\n1,a\n".utf8).withUnsafeBytes { try parser.feed($0, into: &batch) }
        }
    }

    @Test func tsvColumnsByHeaderNameToo() {
        let rows = parse(Array("code\tname\tlocal\nJP\tJapan\t日本\n".utf8),
                         DelimitedParser(format: .tsv, header: true, keyColumn: .name("code"), nameColumn: .name("local")))
        #expect(rows.0 == [["JP", "日本"]])
    }

    @Test func givesTheSameResultWhateverTheChunkSize() {
        let input = "\u{FEFF}id,name\r\n1,\"Zoë, \"\"Z\"\"\"\r\n\n2,\"multi\r\nline 王\"\nbad \"quote\",x\n3,🌍\n4,last"
        let expected = parseCSV(input, header: true)
        #expect(expected.0.count == 4)
        #expect(expected.1 == SkipCounts(malformed: 1))
        for size in 1...16 {
            let result = parseCSV(input, header: true, chunkSize: size)
            #expect(result.0 == expected.0, "chunk size \(size)")
            #expect(result.1 == expected.1, "chunk size \(size)")
        }
    }
}
