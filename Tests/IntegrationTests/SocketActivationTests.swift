#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Systemd
import Testing

@Suite struct SocketActivationTests {
    /// systemd-socket-activate does what a .socket unit does: it listens, starts the daemon on the
    /// first connection and passes the socket as fd 3 named "control".
    @Test func theFirstClientActivatesTheDaemonWhichAdoptsTheSocket() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try FileManager.default.createDirectory(atPath: daemon.runtimeDirectory, withIntermediateDirectories: true)
        // Spawned with every other descriptor closed: the daemon it becomes must not hold on to
        // the sockets by which Foundation's Process learns that other tests' programs ended.
        let activator = try spawnDetached(
            "/usr/bin/systemd-socket-activate",
            [
                "-l", daemon.socketPath, "--fdname=control", "--", Products.nameindexd, "--config", daemon.configurationPath,
                "--runtime-dir", daemon.runtimeDirectory, "--state-dir", daemon.stateDirectory,
            ], log: daemon.logFile.path)
        var reaped = false
        defer { if !reaped { kill(activator, SIGKILL); _ = reap(activator) } }
        var listening = false
        for _ in 0..<200 where !listening {
            listening = FileManager.default.fileExists(atPath: daemon.socketPath)
            if !listening { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(listening)
        // The first call starts the daemon; a lookup waits for the first load rather than failing.
        // (Not through Foundation's Process: the daemon, started meanwhile, could inherit the
        // socket by which Process learns that namectl ended.)
        let get = try spawnAndWait(Products.namectl, ["--socket", daemon.socketPath, "get", "user", "42"])
        #expect(get.status == 0, "\(get.stderr)")
        #expect(get.stdout == "42\tZoë Martin\n")
        let text = try String(contentsOf: daemon.logFile, encoding: .utf8)
        #expect(text.contains("Listening on the control socket passed by systemd"), "\(text)")
        kill(activator, SIGTERM)
        #expect(reap(activator) == 0)
        reaped = true
        // The socket file belongs to whoever passed the socket: the daemon leaves it.
        #expect(FileManager.default.fileExists(atPath: daemon.socketPath))
    }
}
