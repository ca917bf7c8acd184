#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

/// Raw Unix-socket access, to act as a broken or hostile client.
final class RawSocket: @unchecked Sendable {  // one fd, used by one test at a time
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let result = withUnixAddress(path) { connect(fd, $0, $1) }
        if result != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Reads one NUL-terminated message; nil when the peer closed the connection first.
    func receiveMessage() -> String? {
        var message: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            if byte == 0 { return String(decoding: message, as: UTF8.self) }
            message.append(byte)
        }
        return nil
    }

    /// Whether the peer has closed the connection: EOF, or a reset when it
    /// closed with bytes of ours still unread.
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        let result = recv(fd, &byte, 1, 0)
        return result == 0 || (result < 0 && errno == ECONNRESET)
    }

    deinit { close(fd) }
}


@Suite struct DaemonTests {
    @Test func theIndependentPythonVarlinkClientGetsCorrectAnswers() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        let script = Products.packageRoot.appendingPathComponent("Tests/IntegrationTests/Scripts/varlink_client.py").path
        let python = ProcessInfo.processInfo.environment["PYTHON"]
        let result = try python.map { try runProgram($0, [script, daemon.socketPath]) }
            ?? runProgram("/usr/bin/env", ["python3", script, daemon.socketPath])
        try #require(result.status == 0, "python varlink client failed (pip install varlink?):\n\(result.stderr)")
        let out = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        #expect(out["info"]?["product"] == .string("nameindexd"))
        #expect(out["info"]?["interfaces"] == .array([.string("org.varlink.service"), .string("io.nameindex.Index")]))
        #expect(out["description"] == .string(IndexInterface.definition))
        #expect(out["lookup"]?["names"] == .array([.string("Zoë Martin"), .string("王小明"), .null]))
        #expect(out["lookup"]?["generation"] == .number(1))
        #expect(out["namespaces"]?["namespaces"] == .array([
            .object(["name": .string("country"), "entries": .number(2)]),
            .object(["name": .string("user"), "entries": .number(4)]),
        ]))
        #expect(out["status"]?["state"] == .string("serving"))
        #expect(out["status"]?["sources"] == .array([
            .array([.string("employees"), .string("loaded"), .number(3)]),
            .array([.string("contractors"), .string("loaded"), .number(2)]),
            .array([.string("countries"), .string("loaded"), .number(2)]),
        ]))
        #expect(out["noSuchNamespace"] == .string("io.nameindex.Index.NoSuchNamespace"))
        #expect(out["unknownMethod"] == .string("org.varlink.service.MethodNotFound"))
        #expect(out["unknownMethodParameters"]?["method"] == .string("io.nameindex.Index.Explode"))
        #expect(out["lookupAfterError"]?["names"] == .array([.string("日本")]))
        try await daemon.stop()
    }

    @Test func malformedMessagesGetErrorsAndTheDaemonKeepsServing() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        let bystander = try RawSocket(path: daemon.socketPath)

        let garbage = try RawSocket(path: daemon.socketPath)
        garbage.send("this is not json\0")
        let reply = try JSONDecoder().decode(JSONValue.self, from: Data((garbage.receiveMessage() ?? "").utf8))
        #expect(reply == .object(["error": .string("io.nameindex.Index.InvalidMessage"), "parameters": .object(["reason": .string("invalid JSON")])]))
        // The connection survives a bad message; a good one on it still works.
        garbage.send(#"{"method":"io.nameindex.Index.Lookup","parameters":{"namespace":"user","keys":["42"]}}"# + "\0")
        #expect(garbage.receiveMessage()?.contains("Zoë Martin") == true)

        // Binary junk with bytes that are not UTF-8.
        garbage.send([0xFF, 0xFE, 0x00])
        #expect(garbage.receiveMessage()?.contains("InvalidMessage") == true)

        // 17 MiB without a NUL: over the 16 MiB limit; the daemon answers and closes.
        let huge = try RawSocket(path: daemon.socketPath)
        huge.send([UInt8](repeating: 0x20, count: 17 << 20))
        #expect(huge.receiveMessage()?.contains("message exceeds the limit") == true)
        #expect(huge.isClosedByPeer())

        // A client that sends half a message and vanishes.
        do {
            let quitter = try RawSocket(path: daemon.socketPath)
            quitter.send(#"{"method":"io.nameindex.Index.Lo"#)
        }

        bystander.send(#"{"method":"io.nameindex.Index.Lookup","parameters":{"namespace":"country","keys":["DE"]}}"# + "\0")
        #expect(bystander.receiveMessage()?.contains("Deutschland") == true)
        #expect(try daemon.namectl(["get", "user", "42"]).stdout == "42\tZoë Martin\n")
        #expect(try await daemon.stop() == 0)
    }

    @Test func manyClientsAtOnceEachGetTheirOwnAnswers() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        let client = daemon.client
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask {
                    let keys = i % 2 == 0 ? ["42", "x\(i)"] : ["JP"]
                    let reply = try await client.lookup(namespace: i % 2 == 0 ? "user" : "country", keys: keys)
                    #expect(reply.names == (i % 2 == 0 ? ["Zoë Martin", nil] : ["日本"]))
                }
            }
            try await group.waitForAll()
        }
        try await daemon.stop()
    }

    @Test func sigtermShutsDownCleanlyAndRemovesTheSocket() async throws {
        // Several rounds, each with connections still arriving as the signal lands:
        // accepted-but-unserved connections must be closed properly, not crash the daemon.
        for round in 0..<4 {
            let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
            try await daemon.start()
            let idle = try RawSocket(path: daemon.socketPath)
            let burst = try (0..<16).map { _ in try RawSocket(path: daemon.socketPath) }
            let status = try await daemon.stop(signal: SIGTERM)
            #expect(status == 0, "round \(round):\n\(daemon.log)")
            #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
            #expect(idle.isClosedByPeer())
            #expect(burst.allSatisfy { $0.isClosedByPeer() })
        }
    }

    @Test func sigintShutsDownCleanlyToo() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        #expect(try await daemon.stop(signal: SIGINT) == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
    }

    @Test func sighupReloads() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        try daemon.write("countries.tsv", "SE\tSverige\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        let deadline = ContinuousClock.now + .seconds(60)
        var generation: UInt64 = 1
        while generation < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            generation = try await daemon.client.status().generation
        }
        #expect(generation == 2)
        #expect(try daemon.namectl(["get", "country", "SE"]).stdout == "SE\tSverige\n")
        #expect(daemon.log.contains("Received SIGHUP"))
        try await daemon.stop()
    }

    @Test func aSecondDaemonDoesNotStealALiveSocket() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        let second = try runProgram(
            Products.nameindexd,
            ["--config", daemon.configurationPath, "--runtime-dir", daemon.runtimeDirectory, "--state-dir", daemon.stateDirectory + "-other"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("another nameindexd is already listening"), "\(second.stderr)")
        // Nor its state directory: the second would write the same snapshot files.
        let third = try runProgram(
            Products.nameindexd,
            ["--config", daemon.configurationPath, "--runtime-dir", daemon.runtimeDirectory + "-other", "--state-dir", daemon.stateDirectory])
        #expect(third.status == 1)
        #expect(third.stderr.contains("another nameindexd uses the state directory"), "\(third.stderr)")
        #expect(try daemon.namectl(["get", "user", "42"]).status == 0)
        try await daemon.stop()
    }

    @Test func checkConfigPrintsTheEffectiveConfiguration() throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        let result = try runProgram(
            Products.nameindexd, ["--config", daemon.configurationPath, "--runtime-dir", "/run/elsewhere", "--check-config"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("runtime_directory = \"/run/elsewhere\""))
        #expect(result.stdout.contains("name = \"contractors\""))
        #expect(result.stdout.contains("path = \"\(daemon.directory.appendingPathComponent("countries.tsv").path)\""))
    }

    @Test func aBrokenConfigurationIsOneClearLineAndExitOne() throws {
        let daemon = try DaemonHarness(configuration: "colour = \"blue\"\n" + Fixture.configuration)
        let result = try runProgram(Products.nameindexd, ["--config", daemon.configurationPath, "--check-config"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "nameindexd: Invalid configuration: \(daemon.configurationPath): colour: unknown key (known keys: daemon, source)\n")

        let missing = try runProgram(Products.nameindexd, ["--config", "/nonexistent/nameindexd.toml"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/nameindexd.toml: no such file"))
    }

    @Test func aSourceThatCannotBeReadIsFailedInStatusButTheOthersServe() async throws {
        var files = Fixture.files
        files.removeValue(forKey: "contractors.tsv")
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: files)
        try await daemon.start()
        let status = try await daemon.client.status()
        // On a slow machine the failed source's retry (15–30 s later) may already be running.
        #expect(status.state == .serving || status.state == .reloading)
        #expect(status.sources[0].state == .loaded && status.sources[2].state == .loaded)
        #expect(status.sources[1].state == .failed || status.sources[1].state == .failedAndReloading, "\(status.sources[1].state)")
        #expect(status.sources[1].lastError?.contains("contractors.tsv") == true)
        #expect(try daemon.namectl(["get", "user", "42"]).stdout == "42\tZoë Martin\n")
        #expect(daemon.log.contains("Failed to fetch source 'contractors'"))
        try await daemon.stop()
    }
}
