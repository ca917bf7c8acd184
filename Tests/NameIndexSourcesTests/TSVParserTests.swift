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
