#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

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
        #expect(status.sources[1].state == .failed || status.sources[1].state == .failedAndReloading)
        #expect(status.sources[1].lastError == "timed out after 500ms (timeout)")
        try await daemon.stop()
    }
}
