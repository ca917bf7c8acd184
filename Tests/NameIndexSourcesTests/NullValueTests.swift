import NameIndexCore
import NameIndexSources
import Testing

/// `null_value`: a key or name field that is exactly this text is NULL, skipped and counted as such.
@Suite struct NullValueTests {
    func run(_ text: String, _ format: DelimitedParser.Format, null: String?, chunk: Int = .max) -> ([[String]], SkipCounts) {
        parse(Array(text.utf8), DelimitedParser(format: format, nullValue: null), chunkSize: chunk)
    }

    @Test func aTSVFieldThatIsExactlyTheNullTextIsNull() {
        let input = "1\tAna\n2\tNULL\nNULL\tKeyless\n3\tNULLS\n4\tnull\n5\t\n"
        for chunk in [1, 3, .max] {
            let (rows, skipped) = run(input, .tsv, null: "NULL", chunk: chunk)
            #expect(rows == [["1", "Ana"], ["3", "NULLS"], ["4", "null"]])
            #expect(skipped == SkipCounts(null: 2, empty: 1))
        }
    }

    @Test func withoutANullTextTheWordIsAName() {
        let (rows, skipped) = run("2\tNULL\n", .tsv, null: nil)
        #expect(rows == [["2", "NULL"]])
        #expect(skipped.total == 0)
    }

    @Test func inCSVOnlyAnUnquotedFieldMatches() {
        let (rows, skipped) = run("1,NULL\n2,\"NULL\"\nNULL,x\n\"NULL\",y\n", .csv, null: "NULL")
        #expect(rows == [["2", "NULL"], ["NULL", "y"]])
        #expect(skipped == SkipCounts(null: 2))
    }

    @Test func anEmptyNullTextMakesUnquotedEmptyFieldsNullAndQuotedOnesEmpty() {
        // PostgreSQL's CSV rule: an unquoted empty field is NULL, "" is the empty string.
        let (rows, skipped) = run("1,\n2,\"\"\n3,x\n", .csv, null: "")
        #expect(rows == [["3", "x"]])
        #expect(skipped == SkipCounts(null: 1, empty: 1))
    }

    @Test func aNullTextDoesNotMatchOtherColumns() {
        let parser = DelimitedParser(format: .tsv, keyColumn: .number(2), nameColumn: .number(3), nullValue: "\\N")
        let (rows, skipped) = parse(Array("\\N\t1\tAna\nx\t2\t\\N\n".utf8), parser)
        #expect(rows == [["1", "Ana"]])
        #expect(skipped == SkipCounts(null: 1))
    }
}
