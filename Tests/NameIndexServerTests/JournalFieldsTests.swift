import Logging
import NameIndexServer
import Systemd
import Testing

@Suite struct JournalFieldsTests {
    @Test func fieldNamesAreUpperCaseIdentifiers() {
        #expect(Journal.fieldName("source") == "SOURCE")
        #expect(Journal.fieldName("namespace") == "NAMESPACE")
        #expect(Journal.fieldName("rows") == "ROWS")
        #expect(Journal.fieldName("Partition") == "PARTITION")
        #expect(Journal.fieldName("check-value") == "CHECK_VALUE")
        #expect(Journal.fieldName("a.b c") == "A_B_C")
        // journald drops names starting with '_' (trusted fields) or a digit.
        #expect(Journal.fieldName("_SYSTEMD_UNIT") == "SYSTEMD_UNIT")
        #expect(Journal.fieldName("9lives") == "LIVES")
        #expect(Journal.fieldName("zoë") == "ZO")
        #expect(Journal.fieldName("__") == nil)
        #expect(Journal.fieldName("é") == nil)
        #expect(Journal.fieldName(String(repeating: "x", count: 100))?.count == 64)
    }

    @Test func anEntryCarriesMessagePriorityAndMetadata() {
        let event = LogEvent(
            level: .error, message: "Failed to fetch source 'users' partition 3/8: boom",
            metadata: nil, source: nil, file: "NameIndexServer/FetchRunner.swift", function: "f()", line: 42)
        let fields = DaemonLogHandler.journalFields(
            event: event,
            metadata: ["source": "users", "namespace": "user", "partition": "3/8", "generation": "7", "rows": "12",
                       "message": "must not replace MESSAGE", "priority": "must not replace PRIORITY"])
        let byName = Dictionary(fields, uniquingKeysWith: { first, _ in first })
        #expect(fields.count == byName.count, "every field appears once")
        #expect(byName["MESSAGE"] == "Failed to fetch source 'users' partition 3/8: boom")
        #expect(byName["PRIORITY"] == "3")
        #expect(byName["SYSLOG_IDENTIFIER"] == "nameindexd")
        #expect(byName["CODE_FILE"] == "NameIndexServer/FetchRunner.swift")
        #expect(byName["CODE_LINE"] == "42")
        #expect(byName["SOURCE"] == "users")
        #expect(byName["NAMESPACE"] == "user")
        #expect(byName["PARTITION"] == "3/8")
        #expect(byName["GENERATION"] == "7")
        #expect(byName["ROWS"] == "12")
    }

    @Test func outputFollowsJournalStream() {
        #expect(DaemonLogHandler.Output.detect(journalStream: nil) == .stderr(withPriorityPrefix: false))
        // A JOURNAL_STREAM that does not name this process's stderr: plain lines, with priorities.
        #expect(DaemonLogHandler.Output.detect(journalStream: "1:1") == .stderr(withPriorityPrefix: true))
        #expect(DaemonLogHandler.Output.detect(journalStream: "garbage") == .stderr(withPriorityPrefix: true))
    }
}
