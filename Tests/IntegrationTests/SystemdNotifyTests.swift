#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Systemd
import Testing

/// A NOTIFY_SOCKET of our own in `directory`, as systemd would provide.
func makeNotifyReceiver(in directory: URL) throws -> NotifySocketReceiver {
    try NotifySocketReceiver(path: directory.appendingPathComponent("notify").path)
}

@Suite struct SystemdNotifyTests {
    @Test func readyStatusReloadingAndStoppingReachTheServiceManager() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        let receiver = try makeNotifyReceiver(in: daemon.directory)
        try await daemon.start(environment: ["NOTIFY_SOCKET": receiver.path])

        let startup = receiver.collect(timeout: .seconds(10)) { $0.contains("READY=1") }
        let ready = try #require(startup.first { $0.contains("READY=1") })
        #expect(ready.contains("STATUS=Serving 6 names in 2 namespaces (generation 1)"))

        kill(daemon.process.processIdentifier, SIGHUP)
        let reload = receiver.collect(timeout: .seconds(10)) { $0.contains("READY=1") }
        let reloading = try #require(reload.first { $0.hasPrefix("RELOADING=1") })
        let monotonic = try #require(reloading.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") })
        #expect(UInt64(monotonic.dropFirst("MONOTONIC_USEC=".count)) != nil)
        let readyAgain = try #require(reload.last)
        #expect(readyAgain.contains("READY=1"))
        #expect(readyAgain.contains("(generation 2)"))
        #expect(reload.firstIndex { $0.hasPrefix("RELOADING=1") }! < reload.lastIndex { $0.contains("READY=1") }!)

        #expect(try await daemon.stop() == 0)
        #expect(receiver.drain().contains { $0.contains("STOPPING=1") })
    }
}

extension SystemdNotifyTests {
    @Test func aCancelledReloadAfterSIGHUPStillEndsWithReady() async throws {
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "command"
            command = ["sh", "-c", "if [ -e slow ]; then sleep 30 & wait; fi; printf '1\\tZoë\\n'"]
            """)
        let receiver = try makeNotifyReceiver(in: daemon.directory)
        try await daemon.start(environment: ["NOTIFY_SOCKET": receiver.path])
        _ = receiver.collect(timeout: .seconds(10)) { $0.contains("READY=1") }
        try daemon.write("slow", "")
        kill(daemon.process.processIdentifier, SIGHUP)
        let reloading = receiver.collect(timeout: .seconds(10)) { $0.hasPrefix("RELOADING=1") }
        #expect(reloading.contains { $0.hasPrefix("RELOADING=1") })
        var cancelled = false
        for _ in 0..<200 where !cancelled {
            cancelled = try daemon.namectl(["reload", "--cancel"]).stdout.hasPrefix("Cancelled")
            if !cancelled { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(cancelled)
        let after = receiver.collect(timeout: .seconds(10)) { $0.contains("READY=1") }
        let ready = try #require(after.last { $0.contains("READY=1") })
        #expect(ready.contains("(generation 1)"))
        #expect(try await daemon.stop() == 0)
    }
}

@Suite struct WatchdogAndProgressTests {
    @Test func theWatchdogIsPingedOnlyWhileTheServingPathAnswers() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        let receiver = try makeNotifyReceiver(in: daemon.directory)
        try await daemon.start(environment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "400000"])
        var pings = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while pings < 3 && ContinuousClock.now < deadline {
            pings += receiver.collect(timeout: .milliseconds(500)) { _ in false }.filter { $0.contains("WATCHDOG=1") }.count
        }
        #expect(pings >= 3)
        // Take the socket file away: the probe cannot reach the server, so the pings stop.
        unlink(daemon.socketPath)
        _ = receiver.collect(timeout: .milliseconds(400)) { _ in false }  // a probe already under way
        let after = receiver.collect(timeout: .milliseconds(1200)) { _ in false }
        #expect(!after.contains { $0.contains("WATCHDOG=1") }, "\(after)")
        #expect(try await daemon.stop() == 0)
    }

    @Test func aLongFirstLoadShowsProgressAndExtendsTheStartTimeoutWhileRowsArrive() async throws {
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "command"
            command = ["sh", "-c", "for i in 1 2 3 4 5 6 7; do printf '%s\\\\tname %s\\\\n' $i $i; sleep 0.5; done"]
            """)
        let receiver = try makeNotifyReceiver(in: daemon.directory)
        try daemon.launch(environment: ["NOTIFY_SOCKET": receiver.path])
        let messages = receiver.collect(timeout: .seconds(20)) { $0.contains("READY=1") }
        let ready = try #require(messages.firstIndex { $0.contains("READY=1") })
        let before = messages[..<ready]
        #expect(before.contains { $0.contains("EXTEND_TIMEOUT_USEC=10000000") }, "\(messages)")
        #expect(before.contains { $0.contains("STATUS=Loading: ") && $0.contains(" rows (users running)") }, "\(messages)")
        try await daemon.waitUntilLoaded()
        #expect(try await daemon.stop() == 0)
    }
}

@Suite struct DemoTests {
    /// Lays out an installed tree (`bin/nameindexd`, `share/nameindexd/demo/`) that any user can read.
    static func installedTree() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-demo-\(UUID().uuidString.prefix(8))")
        let bin = root.appendingPathComponent("bin")
        let demo = root.appendingPathComponent("share/nameindexd/demo")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: demo.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Products.nameindexd, toPath: bin.appendingPathComponent("nameindexd").path)
        try FileManager.default.copyItem(atPath: Products.namectl, toPath: bin.appendingPathComponent("namectl").path)
        try FileManager.default.copyItem(at: Products.packageRoot.appendingPathComponent("examples/demo"), to: demo)
        let runtime = root.appendingPathComponent("xdg-runtime")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true)
        for path in [root, bin, root.appendingPathComponent("share"), demo.deletingLastPathComponent(), demo] {
            chmod(path.path, 0o755)
        }
        chmod(runtime.path, 0o1777)
        for name in (try FileManager.default.contentsOfDirectory(atPath: demo.path)) {
            chmod(demo.appendingPathComponent(name).path, 0o644)
        }
        return root
    }

    /// As a user other than root (nobody, when the tests run as root), with no
    /// configuration, nameindexd serves the bundled demo and says where.
    @Test func withoutConfigurationAnOrdinaryUserGetsTheDemo() async throws {
        let root = try Self.installedTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let runtime = root.appendingPathComponent("xdg-runtime").path
        let asUser: [String] =
            getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] : []
        let environment = ["XDG_RUNTIME_DIR": runtime, "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: asUser.first ?? root.appendingPathComponent("bin/nameindexd").path)
        daemon.arguments = Array(asUser.dropFirst()) + (asUser.isEmpty ? [] : [root.appendingPathComponent("bin/nameindexd").path])
        daemon.environment = environment
        let log = root.appendingPathComponent("log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: log)
        try daemon.run()
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }

        let namectl = root.appendingPathComponent("bin/namectl").path
        var answer: ProgramResult?
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            // No --socket: namectl finds the user's own daemon through $XDG_RUNTIME_DIR.
            let result = try runProgram(asUser.first ?? namectl, Array(asUser.dropFirst()) + (asUser.isEmpty ? [] : [namectl]) + ["get", "user", "42"], environment: environment)
            if result.status == 0 { answer = result; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(answer?.stdout == "42\tZoë Martin\n", "daemon log:\n\(text)")
        #expect(text.contains("(the bundled demo)"))
        #expect(text.contains("Control socket: \(runtime)/nameindexd/control. Try: \(namectl) --socket \(runtime)/nameindexd/control status"))
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
    }

    @Test(.enabled(if: getuid() == 0 && !FileManager.default.fileExists(atPath: "/etc/nameindexd/nameindexd.toml")))
    func rootWithoutConfigurationSaysTheFileIsMissing() throws {
        let result = try runProgram(Products.nameindexd, ["--check-config"])
        #expect(result.status == 1)
        #expect(result.stderr == "nameindexd: Failed to read configuration /etc/nameindexd/nameindexd.toml: no such file. Create it (see nameindexd.toml(5)) or pass --config PATH.\n")
    }
}

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
