import Foundation
import NameIndexProtocol
import Testing

@Suite struct ChangeCheckTests {
    /// Waits until `count` more checks of source `index` happened; returns the last status.
    func afterChecks(_ daemon: DaemonHarness, _ count: Int, source index: Int = 0) async throws -> IndexInterface.StatusReply {
        var seen: Set<UInt64> = []
        var status = try await daemon.client.status()
        // A bound for a daemon that stopped checking, not a timing: checks come every 100 ms,
        // but a machine busy with other work has made five of them take over 20 s.
        let deadline = ContinuousClock.now + .seconds(60)
        while seen.count <= count && ContinuousClock.now < deadline {
            status = try await daemon.client.status()
            if let at = status.sources[index].lastCheckUSec { seen.insert(at) }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seen.count > count, "only \(seen.count) checks seen")
        return status
    }

    @Test func anUnchangedCheckQueryMeansNoFetchAndAChangedOneExactlyOne() async throws {
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "sqlite"
            path = "app.db"
            query = "SELECT id, name FROM users"
            check_query = "SELECT max(version) FROM meta"
            check_interval = "100ms"
            """)
        let db = daemon.directory.appendingPathComponent("app.db").path
        func sql(_ text: String) throws {
            let result = try runProgram("/usr/bin/sqlite3", [db, text])
            #expect(result.status == 0, "\(result.stderr)")
        }
        try sql("CREATE TABLE users(id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'Zoë'); CREATE TABLE meta(version INTEGER); INSERT INTO meta VALUES (7);")
        try await daemon.start()
        var status = try await afterChecks(daemon, 4)
        #expect(status.generation == 1)
        #expect(status.sources[0].lastCheckValue == "7")
        #expect(status.sources[0].lastCheckError == nil)
        // The rows change and so does the version: exactly one fetch follows.
        try sql("INSERT INTO users VALUES (2, 'Ana'); UPDATE meta SET version = 8;")
        let deadline = ContinuousClock.now + .seconds(60)
        while try await daemon.client.status().generation < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        status = try await afterChecks(daemon, 4)
        #expect(status.generation == 2)
        #expect(status.sources[0].rows == 2)
        #expect(status.sources[0].lastCheckValue == "8")
        let text = try daemon.namectl(["status"]).stdout
        #expect(text.contains("users: last change check") && text.contains(": 8"), "\(text)")
        try await daemon.stop()
    }

    @Test func aFileIsReloadedWhenItChanges() async throws {
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "users"
                namespace = "user"
                kind = "file"
                path = "users.tsv"
                check_interval = "100ms"
                """, files: ["users.tsv": "1\tZoë\n"])
        try await daemon.start()
        var status = try await afterChecks(daemon, 3)
        #expect(status.generation == 1)
        try daemon.write("users.tsv", "1\tZoë\n2\tAna\n")
        let deadline = ContinuousClock.now + .seconds(60)
        while try await daemon.client.status().generation < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        status = try await afterChecks(daemon, 3)
        #expect(status.generation == 2)
        #expect(try daemon.namectl(["get", "user", "2"]).stdout == "2\tAna\n")
        try await daemon.stop()
    }
}
