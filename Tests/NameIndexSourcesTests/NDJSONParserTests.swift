import NameIndexCore
import NameIndexSources
import Testing

func parseNDJSON(
    _ input: [UInt8], key: String = "id", name: String = "name", chunkSize: Int = .max,
    maximumLineBytes: Int = RowFormat.defaultMaximumLineBytes
) -> ([[String]], SkipCounts) {
    var parser = NDJSONParser(keyField: key, nameField: name, maximumLineBytes: maximumLineBytes)
    var batch = RowBatch()
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + chunkSize)
        input[offset..<end].withUnsafeBytes { parser.feed($0, into: &batch) }
        offset = end
    }
    parser.finish(into: &batch)
    var rows: [[String]] = []
    batch.forEach { k, n in rows.append([String(decoding: k, as: UTF8.self), String(decoding: n, as: UTF8.self)]) }
    return (rows, batch.skipped)
}

func parseNDJSON(_ text: String, key: String = "id", name: String = "name", chunkSize: Int = .max) -> ([[String]], SkipCounts) {
    parseNDJSON(Array(text.utf8), key: key, name: name, chunkSize: chunkSize)
}

@Suite struct NDJSONParserTests {
    @Test func readsStringAndNumberMembersInAnyOrder() {
        let (rows, skipped) = parseNDJSON("""
            {"id": 42, "name": "Zoë Martin"}
            {"name":"王小明","id":"P-0001234-x"}
              { "extra": [1, {"a": [true, false, null]}], "id" : -7 , "name" : "Ana" }\r
            {"id": 1.5e3, "name": "float id"}
            """)
        #expect(rows == [["42", "Zoë Martin"], ["P-0001234-x", "王小明"], ["-7", "Ana"], ["1.5e3", "float id"]])
        #expect(skipped.total == 0)
    }

    @Test func decodesEscapes() {
        let (rows, _) = parseNDJSON(#"""
            {"id": "1", "name": "quote \" backslash \\ slash \/ tab \t newline \n"}
            {"id": "2", "name": "\u00e9\u738b \ud83c\udf0d"}
            {"id": "a\"b", "name": "x"}
            """#)
        #expect(rows == [["1", "quote \" backslash \\ slash / tab \t newline \n"], ["2", "é王 🌍"], ["a\"b", "x"]])
    }

    @Test func missingAndNullMembersAreNullAndEmptyStringsEmpty() {
        let (rows, skipped) = parseNDJSON("""
            {"id": 1}
            {"name": "no id"}
            {"id": null, "name": "null id"}
            {"id": 2, "name": ""}
            {}
            {"id": 3, "name": "ok"}
            """)
        #expect(rows == [["3", "ok"]])
        #expect(skipped == SkipCounts(null: 4, empty: 1))
    }

    @Test(arguments: [
        "not json",
        "[1, 2]",
        #"{"id": 1, "name": "a"} trailing"#,
        #"{"id": 1, "name": "a""#,
        #"{"id": true, "name": "a"}"#,
        #"{"id": 1, "name": {"first": "a"}}"#,
        #"{"id": 1, "name": ["a"]}"#,
        #"{"id": 01, "name": "a"}"#,
        #"{"id": 1, "name": "bad \q escape"}"#,
        "{\"id\": 1, \"name\": \"raw\u{01}control\"}",
        #"{"id": 1 "name": "a"}"#,
        #"{'id': 1, 'name': 'a'}"#,
    ])
    func malformedLinesAreSkippedAndCounted(_ line: String) {
        let (rows, skipped) = parseNDJSON(#"{"id": 0, "name": "ok"}"# + "\n" + line + "\n")
        #expect(rows == [["0", "ok"]])
        #expect(skipped == SkipCounts(malformed: 1), "\(line)")
    }

    @Test func loneSurrogatesAndBadBytesAreInvalidUTF8() {
        var input = Array(#"{"id": 1, "name": "\ud800 lone"}"#.utf8) + [0x0A]
        input += Array(#"{"id": 2, "name": "\udc00 lone"}"#.utf8) + [0x0A]
        input += Array(#"{"id": 3, "name": "bad "#.utf8) + [0xC3, 0x28] + Array("\"}\n".utf8)
        input += Array(#"{"id": 4, "name": "fine"}"#.utf8)
        let (rows, skipped) = parseNDJSON(input)
        #expect(rows == [["4", "fine"]])
        #expect(skipped == SkipCounts(invalidUTF8: 3))
    }

    @Test func choosesOtherFieldsAndIgnoresBlankLines() {
        let (rows, skipped) = parseNDJSON("\n{\"user_id\": 9, \"display\": \"Nine\", \"id\": 1}\n   \n", key: "user_id", name: "display")
        #expect(rows == [["9", "Nine"]])
        #expect(skipped.total == 0)
    }

    @Test func givesTheSameResultWhateverTheChunkSize() {
        let input = "\u{FEFF}{\"id\": 1, \"name\": \"Zoë \\u738b\"}\r\n\n{\"id\": \"x\", \"name\": null}\nbroken\n{\"id\": 2, \"name\": \"🌍\"}"
        let expected = parseNDJSON(input)
        #expect(expected.0 == [["1", "Zoë 王"], ["2", "🌍"]])
        #expect(expected.1 == SkipCounts(null: 1, malformed: 1))
        for size in 1...16 {
            let result = parseNDJSON(input, chunkSize: size)
            #expect(result.0 == expected.0, "chunk size \(size)")
            #expect(result.1 == expected.1, "chunk size \(size)")
        }
    }
}
