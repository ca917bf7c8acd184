import NameIndexCore
import NameIndexSources
import Testing

/// What a program prints before its data: beeline's prompt, glued to the first row.
@Suite struct CommandPreambleTests {
    static let beelinePrompt = #"^[0-9]+: jdbc:[^ ]*> "#

    /// The rows, skips and notices of a command that prints `output` (through printf).
    func fetch(_ output: String, format: RowFormat = RowFormat(), dropPrefix: String? = nil) async throws
        -> (rows: [[String]], skipped: SkipCounts, notices: [String])
    {
        var source = CommandSource(name: "c", namespace: "n", arguments: ["printf", "%s", output], rows: format)
        source.dropPrefix = dropPrefix
        var rows: [[String]] = []
        var skipped = SkipCounts()
        var notices: [String] = []
        try await source.fetch(.whole) { batch in
            batch.forEach { k, n in rows.append([String(decoding: k, as: UTF8.self), String(decoding: n, as: UTF8.self)]) }
            skipped += batch.skipped
            notices += batch.notices
        }
        return (rows, skipped, notices)
    }

    static let withPrompt = "0: jdbc:hive2://127.0.0.1:10015/default> 1\tAna\n2\tBo\n3\tCy\n"

    @Test func dropPrefixRemovesThePromptAndKeepsTheFirstRow() async throws {
        let (rows, skipped, notices) = try await fetch(Self.withPrompt, dropPrefix: Self.beelinePrompt)
        #expect(rows == [["1", "Ana"], ["2", "Bo"], ["3", "Cy"]])
        #expect(skipped.total == 0)
        #expect(notices.isEmpty)
    }

    @Test func anOutputOfOnlyThePromptIsNoRows() async throws {
        let (rows, skipped, notices) = try await fetch("0: jdbc:hive2://h:10000> ", dropPrefix: Self.beelinePrompt)
        #expect(rows.isEmpty)
        #expect(skipped.total == 0)
        #expect(notices.isEmpty)
    }

    @Test func withoutThePromptDropPrefixChangesNothing() async throws {
        let (rows, _, notices) = try await fetch("1\tAna\n2\tBo\n", dropPrefix: Self.beelinePrompt)
        #expect(rows == [["1", "Ana"], ["2", "Bo"]])
        #expect(notices.isEmpty)
    }

    @Test func aPromptNotConfiguredIsReportedAndNeverBecomesAKey() async throws {
        let (rows, skipped, notices) = try await fetch(Self.withPrompt)
        #expect(rows == [["2", "Bo"], ["3", "Cy"]])
        #expect(skipped == SkipCounts(malformed: 1))
        #expect(notices.count == 1)
        #expect(notices.first?.contains("'0: jdbc:hive2://127.0.0.1:10015/default> 1' is unlike the 2 keys after it") == true)
        #expect(notices.first?.contains("drop_prefix") == true)
    }

    @Test func aPromptBeforeTextKeysIsReportedToo() async throws {
        let (rows, _, notices) = try await fetch("sql> A-1\tAna\nA-2\tBo\n")
        #expect(rows == [["A-2", "Bo"]])
        #expect(notices.count == 1)
    }

    @Test func aPromptBeforeNDJSONMakesAMalformedFirstLineThatIsReported() async throws {
        let output = #"0: jdbc:hive2://h:1> {"id":1,"name":"Ana"}"# + "\n" + #"{"id":2,"name":"Bo"}"# + "\n"
        let (rows, skipped, notices) = try await fetch(output, format: RowFormat(format: .ndjson))
        #expect(rows == [["2", "Bo"]])
        #expect(skipped == SkipCounts(malformed: 1))
        #expect(notices.first?.contains("the first line of the output could not be read as a row") == true)
        let fixed = try await fetch(output, format: RowFormat(format: .ndjson), dropPrefix: Self.beelinePrompt)
        #expect(fixed.rows == [["1", "Ana"], ["2", "Bo"]])
        #expect(fixed.notices.isEmpty)
    }

    @Test func ordinaryFirstRowsAreLeftAlone() async throws {
        for output in ["1\tAna\n2\tBo\n", "a b\tAna\nc d\tBo\n", "x\tAna\n1\tBo\n", "7\tA\n", "k> 1\tA\nk> 2\tB\n"] {
            let (rows, skipped, notices) = try await fetch(output)
            #expect(rows.count == output.split(separator: "\n").count, "\(output)")
            #expect(skipped.total == 0)
            #expect(notices.isEmpty, "\(output)")
        }
    }

    @Test func aPromptOnTheHeaderLineCostsNoRow() async throws {
        let (rows, _, notices) = try await fetch(
            "0: jdbc:hive2://h:1> id\tname\n1\tAna\n", format: RowFormat(header: true))
        #expect(rows == [["1", "Ana"]])
        #expect(notices.isEmpty)
    }

    @Test func theCheckCommandDropsThePromptToo() async throws {
        var source = CommandSource(name: "c", namespace: "n", arguments: ["true"], rows: RowFormat())
        source.checkCommand = ["printf", "%s", "0: jdbc:hive2://h:1> 2026-12-01\n"]
        source.dropPrefix = Self.beelinePrompt
        #expect(try await source.changeToken() == "2026-12-01")
    }

    @Test func aFirstLineLongerThanTheLimitIsSkippedAsTooLong() async throws {
        let long = String(repeating: "x", count: 5000)
        let (rows, skipped, _) = try await fetch(
            long + "\tA\n1\tB\n", format: RowFormat(maximumLineBytes: 1024), dropPrefix: Self.beelinePrompt)
        #expect(rows == [["1", "B"]])
        #expect(skipped == SkipCounts(tooLong: 1))
    }

    @Test func aPromptedFirstLineLongerThanTheLimitIsSkippedWholeAsTooLong() async throws {
        // Whatever the reads, the verdict is the same: too long before the prompt is dropped.
        let prompt = "0: jdbc:hive2://" + String(repeating: "h", count: 1000) + "/default> "
        let (rows, skipped, _) = try await fetch(
            prompt + "1\tAna\n2\tBo\n", format: RowFormat(maximumLineBytes: 1024), dropPrefix: Self.beelinePrompt)
        #expect(rows == [["2", "Bo"]])
        #expect(skipped == SkipCounts(tooLong: 1))
    }
}
