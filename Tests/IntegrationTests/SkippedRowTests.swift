import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

/// The sample of skipped rows (`namectl skipped`, `status --verbose`, `Status.skippedRows`) and
/// `namectl explain`, through every kind of source: every reason, each with where the row was.
@Suite struct SkippedRowTests {
    /// Four sources for `user` (a TSV file with a header, a TSV file with `null_value` and a
    /// small `max_line_bytes`, a command, an NDJSON file) and a SQLite one for `team`.
    static let configuration = """
        [[source]]
        name = "employees"
        namespace = "user"
        kind = "file"
        path = "employees.tsv"
        header = true

        [[source]]
        name = "odd"
        namespace = "user"
        kind = "file"
        path = "odd.tsv"
        null_value = "NULL"
        max_line_bytes = 1024

        [[source]]
        name = "printed"
        namespace = "user"
        kind = "command"
        command = ["sh", "-c", "printf '100\\tHundred\\nno tab here\\n101\\tHundred and one\\n\\t\\n'"]

        [[source]]
        name = "json"
        namespace = "user"
        kind = "file"
        path = "people.ndjson"
        format = "ndjson"

        [[source]]
        name = "teams"
        namespace = "team"
        kind = "sqlite"
        path = "teams.db"
        query = "SELECT id, name FROM teams ORDER BY id"

        """

    static func daemon() throws -> DaemonHarness {
        let daemon = try DaemonHarness(
            configuration: configuration,
            files: [
                "employees.tsv": Fixture.files["employees.tsv"]!,
                "people.ndjson": "{\"id\": 200, \"name\": \"Json\"}\n{\"id\": 201}\nnot json at all\n{\"id\": 42, \"name\": \"Json 42\"}\n",
            ])
        // odd.tsv: NULL name, invalid UTF-8, a line over 1,024 bytes, a key employees holds, a good row.
        var odd = Array("7\tNULL\n8\t".utf8) + [0xFF, 0x41] + Array("\n9\t".utf8) + Array(repeating: UInt8(ascii: "x"), count: 1100)
        odd += Array("\n42\tShadowed Zoë\n10\tTen\n".utf8)
        try Data(odd).write(to: daemon.directory.appendingPathComponent("odd.tsv"))
        let db = daemon.directory.appendingPathComponent("teams.db").path
        let made = try runProgram(
            "/usr/bin/sqlite3",
            [db, "CREATE TABLE teams(id INTEGER, name TEXT); INSERT INTO teams VALUES (1, 'Red'), (2, NULL), (NULL, 'Nobody'), (4, '');"])
        #expect(made.status == 0, "\(made.stderr)")
        return daemon
    }

    func skipped(_ status: IndexInterface.StatusReply, _ source: String) -> [IndexInterface.SkippedRow] {
        status.sources.first { $0.name == source }?.skippedRows ?? []
    }

    @Test func everyReasonWithItsLocationForEveryKind() async throws {
        let daemon = try Self.daemon()
        try await daemon.start()
        let status = try await daemon.client.status()
        let dir = daemon.directory.path
        func rows(_ source: String) -> [String] {
            skipped(status, source).map { "\($0.reason) | \($0.location) | \($0.key ?? "-") | \($0.raw) | \($0.rawBytes)" }
        }
        // A file: the line, and the byte offset where the line began.
        #expect(rows("employees") == [
            "empty | file \(dir)/employees.tsv line 5 (byte 53) | - | \\tno key | 7",
            "malformed | file \(dir)/employees.tsv line 6 (byte 61) | - | broken line | 11",
        ], "\(rows("employees"))")
        let odd = rows("odd")
        #expect(odd.count == 4, "\(odd)")
        #expect(odd.first == "null | file \(dir)/odd.tsv line 1 (byte 0) | 7 | 7\\tNULL | 6")
        #expect(odd.dropFirst().first == "invalid_utf8 | file \(dir)/odd.tsv line 2 (byte 7) | 8 | 8\\t\\xffA | 4")
        #expect(odd.dropFirst(2).first?.hasPrefix("too_long | file \(dir)/odd.tsv line 3 (byte 12) | - | 9\\txxx") == true)
        #expect(odd.last == "shadowed | also in source 'employees', which answers | 42 | 42\\tShadowed Zoë | 16", "\(odd)")
        // A command's output: its line and byte.
        #expect(rows("printed") == [
            "malformed | output line 2 (byte 12) | - | no tab here | 11",
            "empty | output line 4 (byte 44) | - | \\t | 1",
        ], "\(rows("printed"))")
        // NDJSON.
        #expect(rows("json").map { $0.split(separator: "|")[0].trimmingCharacters(in: .whitespaces) } == ["null", "malformed", "shadowed"], "\(rows("json"))")
        #expect(rows("json")[1].contains("people.ndjson line 3"))
        // A query: the row of its result (key and name joined by a tab, a NULL left out).
        // (ORDER BY id puts SQLite's NULL first.)
        #expect(rows("teams") == [
            "null | row 1 | - | \\tNobody | 7",
            "null | row 3 | 2 | 2 | 1",
            "empty | row 4 | 4 | 4\\t | 2",
        ], "\(rows("teams"))")

        // namectl skipped: the counts, then the table.
        let shown = try daemon.namectl(["skipped", "odd"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.hasPrefix("odd: 3 rows skipped in its last load; null 1, empty 0, invalid_utf8 1, malformed 0, too_long 1, shadowed 1"), "\(shown.stdout)")
        #expect(shown.stdout.contains("REASON") && shown.stdout.contains("invalid_utf8") && shown.stdout.contains("line 3 (byte 12)"))
        #expect(try daemon.namectl(["skipped", "nope"]).stderr.contains("No source named 'nope'"))
        // status --verbose shows the same rows; plain status does not.
        let verbose = try daemon.namectl(["status", "--verbose"]).stdout
        #expect(verbose.contains("teams: skipped in its last load (the first 3):") && verbose.contains("row 4"), "\(verbose)")
        #expect(!(try daemon.namectl(["status"]).stdout.contains("skipped in its last load (the first")))
        try await daemon.stop()
    }

    @Test func explainNamesTheAnswerTheShadowedAndTheSkipped() async throws {
        let daemon = try Self.daemon()
        try await daemon.start()
        // 42: employees answers; odd and json hold it too (shadowed).
        let reply = try await daemon.client.explain(namespace: "user", key: "42")
        #expect(reply.answeredBy == "employees" && reply.name == "Zoë Martin" && reply.generation == 1)
        #expect(reply.sources.map(\.source) == ["employees", "odd", "printed", "json"])
        #expect(reply.sources.map(\.answer) == [.name, .name, .absent, .name])
        #expect(reply.sources[1].name == "Shadowed Zoë" && reply.sources[3].name == "Json 42")
        #expect(reply.sources[0].partition == "1 of 1" && reply.sources[0].loadedAtUSec != nil)
        let text = try daemon.namectl(["explain", "user", "42"])
        #expect(text.status == 0)
        #expect(text.stdout.hasPrefix("user 42 = Zoë Martin\n  answered by source 'employees', generation 1"), "\(text.stdout)")
        #expect(text.stdout.contains("odd (file): Shadowed Zoë from its base table — shadowed"), "\(text.stdout)")
        #expect(text.stdout.contains("printed (command): not held"))

        // 8: no source answers; odd skipped a row with this key.
        let missing = try daemon.namectl(["explain", "user", "8"])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("user 8: no source answers it (generation 1); consulted 'employees', 'odd', 'printed', 'json'"), "\(missing.stdout)")
        #expect(missing.stdout.contains("skipped in its last load (invalid_utf8) at file"), "\(missing.stdout)")

        // A key that exists nowhere, and a namespace that does not.
        let nowhere = try await daemon.client.explain(namespace: "user", key: "no-such-id")
        #expect(nowhere.answeredBy == nil && nowhere.sources.allSatisfy { $0.answer == .absent && $0.skipped.isEmpty })
        #expect(try daemon.namectl(["explain", "nope", "1"]).status == 1)
        try await daemon.stop()
    }
}

/// The postgresql kind: a skipped row is located by its partition and its row there.
@Suite(.serialized) struct PostgresSkippedRowTests {
    @Test func aRowOfAPartitionedQueryIsLocatedByPartitionAndRow() async throws {
        let server = try PostgresServer.get()
        try server.psql("""
            DROP TABLE IF EXISTS skipped_users;
            CREATE TABLE skipped_users AS SELECT g::bigint AS id, CASE WHEN g IN (3, 9) THEN NULL ELSE 'user ' || g END AS name
              FROM generate_series(1, 10) g;
            """)
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "postgresql"
            url = "\(server.url())"
            query = "SELECT id, name FROM skipped_users WHERE {partition_filter} ORDER BY id"
            partition_by = "range"
            partition_key = "id"
            partitions = 2
            """)
        try await daemon.start()
        let rows = try await daemon.client.status().sources[0].skippedRows ?? []
        #expect(rows.map(\.reason) == ["null", "null"], "\(rows)")
        #expect(rows.first { $0.key == "3" }?.location == "partition 0, row 3", "\(rows)")
        #expect(rows.first { $0.key == "9" }?.location.hasPrefix("partition 1, row ") == true, "\(rows)")
        #expect(rows.allSatisfy { $0.raw == $0.key && $0.rawBytes == 1 }, "a NULL name is left out of the row shown")
        try await daemon.stop()
    }
}
