#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

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
        #expect(try daemon.namectl(["reload", "--wait"]).status == 0)
        #expect(try daemon.namectl(["get", "user", "7"]).stdout == "7\tGone\n")
        let check = try runProgram(Products.nameindexd, ["--config", daemon.configurationPath, "--check-config"])
        #expect(check.stdout.contains("kind = \"sqlite\""))
        #expect(check.stdout.contains("query = \"SELECT id, name FROM users WHERE active\""))
        try await daemon.stop()
    }
}
