import Foundation
import NameIndexProtocol
import Testing

/// Deltas against the throw-away PostgreSQL: a table whose `updated_at` a trigger takes from a
/// sequence, soft deletes, and a transaction that commits late.
@Suite(.serialized) struct PostgresDeltaDaemonTests {
    let server: PostgresServer

    init() throws { server = try PostgresServer.get() }

    func source(_ name: String, namespace: String, table: String, extra: String = "") -> String {
        """
        [[source]]
        name = "\(name)"
        namespace = "\(namespace)"
        kind = "postgresql"
        url = "\(server.url())"
        query = "SELECT id, name FROM \(table) WHERE NOT deleted"
        delta_query = "SELECT id, name, deleted, updated_at FROM \(table) WHERE updated_at > {watermark}"
        watermark_query = "SELECT max(updated_at) FROM \(table)"
        \(extra)

        """
    }

    @Test func randomRoundsOfDeltasKeepTheIndexEqualToTheTable() async throws {
        let table = try DeltaTable.postgres(server, name: "delta_rounds")
        try table.sql((1...50).map { "INSERT INTO users(id, name) VALUES (\($0), 'first \($0)');" }.joined())
        let daemon = try DaemonHarness(configuration: source("users", namespace: "user", table: "delta_rounds"))
        try await daemon.start()
        #expect(try await daemon.client.status().sources[0].delta?.watermark == "50")
        try await DeltaDaemonTests.randomRounds(daemon, table, seed: 42, rounds: 15)
        try await daemon.stop()
    }

    /// A psql session held open, to commit a transaction after others have.
    final class Session {
        let process = Process()
        let input = Pipe()
        let output = Pipe()

        init(_ server: PostgresServer) throws {
            process.executableURL = URL(fileURLWithPath: PostgresServer.psqlPath)
            process.arguments = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", server.socketDirectory, "-U", server.superuser, "-d", "postgres"]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
        }

        /// Sends `sql`, then waits until psql has run it (it echoes a marker after).
        func run(_ sql: String) throws {
            let marker = "done-\(UUID().uuidString.prefix(8))"
            input.fileHandleForWriting.write(Data("\(sql)\nSELECT '\(marker)';\n".utf8))
            var seen = ""
            while !seen.contains(marker) {
                let data = output.fileHandleForReading.availableData
                guard !data.isEmpty else { throw DeltaTestError(message: "psql ended: \(seen)") }
                seen += String(decoding: data, as: UTF8.self)
            }
        }

        func close() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    @Test func aLateCommitIsCaughtWithinTheLagAndReportedByReconciliationWithout() async throws {
        let table = try DeltaTable.postgres(server, name: "delta_late")
        try table.sql((1...5).map { "INSERT INTO users(id, name) VALUES (\($0), 'n\($0)');" }.joined())
        let daemon = try DaemonHarness(
            configuration: source("lagged", namespace: "lagged", table: "delta_late", extra: "delta_lag = 10")
                + source("prompt", namespace: "prompt", table: "delta_late"))
        try await daemon.start()
        // A transaction takes updated_at 6 and stays open; another takes 7 and commits.
        let session = try Session(server)
        try session.run("BEGIN; INSERT INTO delta_late(id, name) VALUES (100, 'late');")
        try table.sql("INSERT INTO users(id, name) VALUES (101, 'prompt');")
        #expect(try daemon.namectl(["reload", "--delta", "--wait"]).status == 0)
        var status = try await daemon.client.status()
        #expect(status.sources.map { $0.delta?.watermark ?? "" } == ["7", "7"])
        // Now the first commits, with a watermark older than what the deltas have seen.
        try session.run("COMMIT;")
        session.close()
        #expect(try daemon.namectl(["reload", "--delta", "--wait"]).status == 0)
        let view = ServedView(daemon: daemon)
        #expect(try view.get("lagged", ["100", "101"]) == ["100": "late", "101": "prompt"], "delta_lag = 10 re-reads from 7 - 10")
        #expect(try view.get("prompt", ["100", "101"]) == ["101": "prompt"], "without a lag the late row is missed")
        let before = status.sources[0].lastSuccessUSec ?? 0
        #expect(try daemon.namectl(["reload", "--full", "--wait"]).status == 0)
        status = try await view.reconciled([0, 1], after: before)
        let lagged = try #require(status.sources[0].delta?.reconciliation)
        let prompt = try #require(status.sources[1].delta?.reconciliation)
        #expect([lagged.missing, lagged.extra, lagged.changed] == [Int](repeating: 0, count: 3))
        #expect(prompt.missing == 1 && prompt.extra == 0 && prompt.changed == 0)
        #expect(prompt.examples == ["+100"])
        #expect(try view.get("prompt", ["100"]) == ["100": "late"])
        let text = try daemon.namectl(["status"]).stdout
        #expect(text.contains("prompt: full reload") && text.contains("deltas had missed 0 deletes, 1 addition, 0 changes"), "\(text)")
        try await daemon.stop()
    }
}
