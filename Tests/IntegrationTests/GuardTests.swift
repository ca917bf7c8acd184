import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

/// min_rows, max_shrink and on_failure with the real daemon and namectl.
@Suite struct SourceGuardTests {
    static func rows(_ count: Int) -> String { (0..<count).map { "\($0)\tname \($0)" }.joined(separator: "\n") + "\n" }

    static func configuration(onFailure: String) -> String {
        """
        [[source]]
        name = "users"
        namespace = "user"
        kind = "file"
        path = "users.tsv"
        max_shrink = "20%"
        min_rows = 5
        on_failure = "\(onFailure)"

        [[source]]
        name = "teams"
        namespace = "team"
        kind = "file"
        path = "teams.tsv"

        """
    }

    @Test func aSourceReturningTenPercentTripsMaxShrinkAndKeepsServingItsOldRows() async throws {
        let daemon = try DaemonHarness(
            configuration: Self.configuration(onFailure: "keep"), files: ["users.tsv": Self.rows(100), "teams.tsv": "1\tRed\n"])
        try await daemon.start()
        try daemon.write("users.tsv", Self.rows(10))
        try daemon.write("teams.tsv", "1\tBlue\n")
        let reload = try daemon.namectl(["reload"])
        #expect(reload.status == 1)
        #expect(reload.stderr.contains("returned 10 rows, 90% fewer than the 100 of generation 1 (max_shrink = 20%)"), "\(reload.stderr)")
        // The old rows of users keep serving; teams, which passed, serves its new rows.
        #expect(try daemon.namectl(["get", "user", "50"]).stdout == "50\tname 50\n")
        #expect(try daemon.namectl(["get", "team", "1"]).stdout == "1\tBlue\n")
        let status = try daemon.namectl(["status"])
        #expect(status.stdout.contains("stale"))
        #expect(status.stdout.contains("max_shrink = 20%"))
        let reply = try await daemon.client.status()
        #expect(reply.generation == 2)
        #expect(reply.sources[0].state == .stale)
        #expect(reply.sources[0].rows == 100)
        try await daemon.stop()
    }

    @Test func minRowsFailsTheSource() async throws {
        let daemon = try DaemonHarness(
            configuration: Self.configuration(onFailure: "keep"), files: ["users.tsv": Self.rows(100), "teams.tsv": "1\tRed\n"])
        try await daemon.start()
        try daemon.write("users.tsv", Self.rows(90) + "\n")
        #expect(try daemon.namectl(["reload"]).status == 0)  // 10% fewer: within max_shrink
        try daemon.write("users.tsv", Self.rows(4))
        let reload = try daemon.namectl(["reload"])
        #expect(reload.status == 1)
        #expect(reload.stderr.contains("returned 4 rows, fewer than min_rows = 5"))
        #expect(try await daemon.client.status().sources[0].rows == 90)
        try await daemon.stop()
    }

    @Test func onFailureFailAppliesNothingOfTheReload() async throws {
        let daemon = try DaemonHarness(
            configuration: Self.configuration(onFailure: "fail"), files: ["users.tsv": Self.rows(100), "teams.tsv": "1\tRed\n"])
        try await daemon.start()
        try daemon.write("users.tsv", Self.rows(10))
        try daemon.write("teams.tsv", "1\tBlue\n")
        let reload = try daemon.namectl(["reload"])
        #expect(reload.status == 1)
        #expect(reload.stderr.contains("the reload was not applied (on_failure = fail) and generation 1 keeps serving"), "\(reload.stderr)")
        // Nothing changed: not even the source that loaded.
        #expect(try daemon.namectl(["get", "team", "1"]).stdout == "1\tRed\n")
        let status = try await daemon.client.status()
        #expect(status.generation == 1)
        #expect(status.state == .serving)
        #expect(status.sources.map(\.state) == [.stale, .loaded])
        #expect(status.sources[0].lastError?.contains("max_shrink") == true)
        try await daemon.stop()
    }
}

@Suite struct GlobSourceTests {
    @Test func aReloadPicksUpNewFilesOfAGlob() async throws {
        let daemon = try DaemonHarness(
            configuration: "[[source]]\nname = \"parts\"\nnamespace = \"user\"\nkind = \"file\"\npath = \"part-*.tsv\"\n",
            files: ["part-1.tsv": "1\tAna\n"])
        try await daemon.start()
        #expect(try daemon.namectl(["get", "user", "2"]).status == 2)
        try daemon.write("part-2.tsv", "2\tBjörn\n1\tnot the first\n")
        #expect(try daemon.namectl(["reload"]).status == 0)
        #expect(try daemon.namectl(["get", "user", "1", "2"]).stdout == "1\tAna\n2\tBjörn\n")
        #expect(try await daemon.client.status().sources[0].duplicates == 1)
        try await daemon.stop()
    }
}

@Suite struct SQLiteSourceIntegrationTests {
    @Test func aSQLiteSourceServesItsQueryAndReloadsChanges() async throws {
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "users"
                namespace = "user"
                kind = "sqlite"
                path = "users.db"
                query = "SELECT id, name FROM users WHERE active"

                """)
        let database = daemon.directory.appendingPathComponent("users.db").path
        let sqlite = "/usr/bin/sqlite3"
        try #require(FileManager.default.isExecutableFile(atPath: sqlite), "the sqlite3 CLI (Debian package sqlite3) is needed")
        #expect(try runProgram(sqlite, [database, "CREATE TABLE users(id INTEGER, name TEXT, active INTEGER); INSERT INTO users VALUES (42, 'Zoë Martin', 1), (7, 'Gone', 0);"]).status == 0)
        try await daemon.start()
        #expect(try daemon.namectl(["get", "user", "42", "7"]).stdout == "42\tZoë Martin\n")
        #expect(try runProgram(sqlite, [database, "UPDATE users SET active = 1 WHERE id = 7;"]).status == 0)
        #expect(try daemon.namectl(["reload"]).status == 0)
        #expect(try daemon.namectl(["get", "user", "7"]).stdout == "7\tGone\n")
        let check = try runProgram(Products.nameindexd, ["--config", daemon.configurationPath, "--check-config"])
        #expect(check.stdout.contains("kind = \"sqlite\""))
        #expect(check.stdout.contains("query = \"SELECT id, name FROM users WHERE active\""))
        try await daemon.stop()
    }
}

@Suite struct ShutdownDuringFirstLoadTests {
    /// SIGTERM while the first load is stuck (its database is locked) and a client waits in Lookup:
    /// the daemon must still exit, and the client must get an answer rather than wait forever.
    @Test func aWaitingLookupDoesNotHoldUpShutdown() async throws {
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "users"
                namespace = "user"
                kind = "sqlite"
                path = "users.db"
                query = "SELECT id, name FROM users"
                retries = 0

                """)
        let database = daemon.directory.appendingPathComponent("users.db").path
        _ = try makeDatabase(database)
        // Hold an exclusive lock for 20 s from another process.
        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        locker.arguments = ["python3", "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(20)", database]
        let out = Pipe()
        locker.standardOutput = out
        try locker.run()
        defer { if locker.isRunning { locker.terminate() } }
        _ = out.fileHandleForReading.availableData  // "locked"

        try daemon.launch()
        var state: IndexInterface.DaemonState?
        for _ in 0..<200 {
            state = try? await daemon.client.status().state
            if state == .loading { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(state == .loading)
        let client = daemon.client
        async let lookup: Result<IndexInterface.LookupReply, any Error> = {
            do { return .success(try await client.lookup(namespace: "user", keys: ["1"])) } catch { return .failure(error) }
        }()
        try await Task.sleep(for: .milliseconds(200))
        let clock = ContinuousClock()
        let start = clock.now
        let status = try await daemon.stop(signal: SIGTERM)
        #expect(status == 0, "\(daemon.log)")
        #expect(clock.now - start < .seconds(9))
        switch await lookup {
        case .success(let reply): Issue.record("a lookup with no generation answered \(reply)")
        case .failure(let error):
            let failure = (error as? NameIndexClientError)?.failure
            let closed = (error as? NameIndexClientError)?.code == .connectionClosed
            #expect(failure == .shuttingDown || closed, "\(error)")
        }
    }

    private func makeDatabase(_ path: String) throws -> ProgramResult {
        try runProgram("/usr/bin/sqlite3", [path, "CREATE TABLE users(id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'one');"])
    }
}

@Suite struct CommandSourceIntegrationTests {
    @Test func aCommandSourceServesWhatItPrintsAndAHangingOneIsCutOff() async throws {
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "warehouse"
                namespace = "user"
                kind = "command"
                command = ["sqlite3", "-separator", "\\t", "users.db", "SELECT id, name FROM users"]

                [[source]]
                name = "stuck"
                namespace = "team"
                kind = "command"
                command = ["sh", "-c", "echo 1\\tRed; sleep 300"]
                timeout = "500ms"
                retries = 0

                """)
        #expect(try runProgram("/usr/bin/sqlite3", [
            daemon.directory.appendingPathComponent("users.db").path,
            "CREATE TABLE users(id INTEGER, name TEXT); INSERT INTO users VALUES (42, 'Zoë Martin');",
        ]).status == 0)
        try await daemon.start()
        #expect(try daemon.namectl(["get", "user", "42"]).stdout == "42\tZoë Martin\n")
        let status = try await daemon.client.status()
        #expect(status.sources[1].state == .failed)
        #expect(status.sources[1].lastError == "timed out after 500ms (timeout)")
        try await daemon.stop()
    }
}

@Suite struct PartitionExactnessTests {
    /// The same table through the sqlite kind and through the sqlite3 CLI as a command,
    /// split N ways by rowid: the served rows must be exactly the table's.
    @Test(arguments: [1, 2, 7, 16])
    func everyRowExactlyOnce(_ partitions: Int) async throws {
        let predicate = "WHERE rowid % {partitions} = {partition}"
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "by-sqlite"
                namespace = "a"
                kind = "sqlite"
                path = "t.db"
                query = "SELECT id, name FROM t \(predicate)"
                partitions = \(partitions)

                [[source]]
                name = "by-command"
                namespace = "b"
                kind = "command"
                command = ["sqlite3", "-separator", "\\t", "t.db", "SELECT id, name FROM t \(predicate)"]
                partitions = \(partitions)

                """)
        // ids with gaps, negative ids and text ids; names with non-ASCII characters.
        var expected: [String: String] = [:]
        var sql = "CREATE TABLE t(id, name); BEGIN;"
        for i in 0..<500 {
            let id = i % 10 == 0 ? "'P-\(i)-x'" : "\((i - 250) * 7)"
            let key = i % 10 == 0 ? "P-\(i)-x" : "\((i - 250) * 7)"
            sql += "INSERT INTO t VALUES (\(id), 'Zoë \(i) 🌍');"
            expected[key] = "Zoë \(i) 🌍"
        }
        sql += "COMMIT;"
        #expect(try runProgram("/usr/bin/sqlite3", [daemon.directory.appendingPathComponent("t.db").path, sql]).status == 0)
        try await daemon.start()
        let keys = Array(expected.keys)
        for namespace in ["a", "b"] {
            let reply = try await daemon.client.lookup(namespace: namespace, keys: keys)
            #expect(reply.names == keys.map { expected[$0] }, "namespace \(namespace)")
        }
        let status = try await daemon.client.status()
        #expect(status.sources.map(\.rows) == [500, 500])
        #expect(status.sources.map(\.duplicates) == [0, 0])
        try await daemon.stop()
    }
}
