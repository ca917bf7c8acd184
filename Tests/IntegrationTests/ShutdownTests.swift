#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

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
                # SQLite gives up on the lock after 5 s; the retries keep the first load going
                # however slow the machine is, until the signal.
                retries = 100
                retry_delay = "100ms"

                """)
        let database = daemon.directory.appendingPathComponent("users.db").path
        _ = try makeDatabase(database)
        // Hold an exclusive lock from another process until the test ends (it reads its
        // standard input until it is killed), so the first load cannot finish meanwhile.
        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        locker.arguments = ["python3", "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()", database]
        let out = Pipe()
        let input = Pipe()
        locker.standardOutput = out
        locker.standardInput = input
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
        // Connect and send before the signal (synchronously, so the call is surely on the
        // daemon's socket), then give the daemon time to take it up and wait for a generation.
        let waiting = try RawSocket(path: daemon.socketPath)
        waiting.send(#"{"method":"io.nameindex.Index.Lookup","parameters":{"namespace":"user","keys":["1"]}}"# + "\0")
        try await Task.sleep(for: .milliseconds(200))
        // Exit status 0 means it stopped by itself: the harness kills it (status 9) after 10 s.
        let status = try await daemon.stop(signal: SIGTERM)
        #expect(status == 0, "\(daemon.log)")
        // The caller is answered ShuttingDown, or its connection is closed: never left hanging.
        if let reply = waiting.receiveMessage() {
            #expect(reply.contains("io.nameindex.Index.ShuttingDown"), "\(reply)")
        }
    }

    private func makeDatabase(_ path: String) throws -> ProgramResult {
        try runProgram("/usr/bin/sqlite3", [path, "CREATE TABLE users(id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'one');"])
    }
}
