#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexCore
import NameIndexProtocol
import Testing

/// Failures outside the daemon's control: killed with SIGKILL in the middle of a reload or
/// of a snapshot write, a full disk, a state directory it cannot use. It restarts serving the
/// last good generation, or keeps serving and says why the snapshot failed.
@Suite(.serialized) struct FaultTests {
    /// 200,000 rows, so that a snapshot write takes long enough to be killed in.
    static func rows(_ tag: Int) -> String {
        (0..<200_000).map { "\($0)\tname \($0) of round \(tag)\n" }.joined()
    }

    static let configuration = """
        [daemon]
        refresh_on_start = false

        [[source]]
        name = "users"
        namespace = "user"
        kind = "file"
        path = "users.tsv"
        """

    /// Kills the daemon at points spread over a reload and the snapshot write that follows it
    /// (the n-th point: after n × 2 ms, from a fixed seed); each restart serves a generation
    /// whose rows are whole, from a snapshot that is either the one before or the new one.
    @Test func killedDuringAReloadOrASnapshotWriteRestartsOnTheLastGoodGeneration() async throws {
        var daemon = try DaemonHarness(configuration: Self.configuration, files: ["users.tsv": Self.rows(0)])
        try await daemon.start()
        try await daemon.waitForFile("state/index.snapshot")
        for round in 1...6 {
            try daemon.write("users.tsv", Self.rows(round))
            let served = try await daemon.client.status().generation
            kill(daemon.process.processIdentifier, SIGHUP)
            // Somewhere in the load, the swap or the snapshot write that follows.
            try await Task.sleep(for: .milliseconds(2 * round * round))
            kill(daemon.process.processIdentifier, SIGKILL)
            daemon.process.waitUntilExit()
            daemon = try daemon.restarted()
            try await daemon.start()
            let status = try await daemon.client.status()
            #expect(status.servingSnapshot, "round \(round): it serves its snapshot at once")
            #expect(status.generation == served || status.generation == served + 1, "round \(round)")
            // The rows are one round's, whole: never a mix, never a torn file.
            let names = try await daemon.client.lookup(namespace: "user", keys: ["0", "199999"]).names
            let tag = names[0]?.split(separator: " ").last
            #expect(tag != nil && names[1]?.hasSuffix("of round \(tag!)") == true, "round \(round): \(names)")
            #expect(!FileManager.default.fileExists(atPath: daemon.snapshotPath + ".tmp"), "the stale temp file is gone")
        }
        try await daemon.stop()
    }

    /// A state directory on a full disk (a 64 KiB tmpfs): the snapshot write fails, Status says
    /// so, and the daemon serves. Needs root (mount).
    @Test(.enabled(if: getuid() == 0)) func aFullDiskFailsTheSnapshotNotTheDaemon() async throws {
        let daemon = try DaemonHarness(configuration: Self.configuration, files: ["users.tsv": Self.rows(0)])
        try FileManager.default.createDirectory(atPath: daemon.stateDirectory, withIntermediateDirectories: true)
        let mounted = try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", daemon.stateDirectory])
        try #require(mounted.status == 0, "mount: \(mounted.stderr)")
        defer { _ = try? runProgram("/bin/umount", [daemon.stateDirectory]) }
        try await daemon.start()
        var status = try await daemon.client.status()
        let deadline = ContinuousClock.now + .seconds(60)
        while status.snapshotError == nil && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            status = try await daemon.client.status()
        }
        #expect(status.snapshotError?.contains("No space left on device") == true, "\(String(describing: status.snapshotError))")
        #expect(status.state == .serving)
        #expect(try daemon.namectl(["get", "user", "7"]).stdout == "7\tname 7 of round 0\n")
        #expect(try daemon.namectl(["status"]).stdout.contains("No space left on device"))
        #expect(!FileManager.default.fileExists(atPath: daemon.snapshotPath + ".tmp"), "a failed write leaves no temp file")
        try await daemon.stop()
    }

    /// A state directory that cannot be made (a file is in its place): a warning, then the
    /// daemon serves without snapshots.
    @Test func aStateDirectoryThatCannotBeMadeIsAWarningNotAStop() async throws {
        let daemon = try DaemonHarness(configuration: Self.configuration, files: ["users.tsv": Self.rows(0), "state": "a file"])
        try await daemon.start()
        #expect(try daemon.namectl(["get", "user", "7"]).stdout == "7\tname 7 of round 0\n")
        #expect(daemon.log.contains("Failed to create the state directory"), "\(daemon.log)")
        var status = try await daemon.client.status()
        let deadline = ContinuousClock.now + .seconds(60)
        while status.snapshotError == nil && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            status = try await daemon.client.status()
        }
        #expect(status.snapshotError != nil)
        try await daemon.stop()
    }
}

/// A reload that its cgroup's memory limit does not leave room for is refused before it
/// starts, instead of the OOM killer ending the daemon; with room, it runs. Needs root and a
/// memory cgroup the test may make a child of (v1 or v2).
@Suite struct MemoryLimitTests {
    /// A child of this process's memory cgroup, with its limit file, usable by root.
    static func childCgroup() -> (directory: String, limitFile: String)? {
        guard getuid() == 0, let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        let lines = membership.split(separator: "\n")
        var candidates: [(String, String)] = []
        if let v1 = lines.first(where: { $0.split(separator: ":", maxSplits: 2).dropFirst().first?.split(separator: ",").contains("memory") == true }) {
            let path = String(v1.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).last ?? "/")
            candidates.append(("/sys/fs/cgroup/memory" + path, "memory.limit_in_bytes"))
        }
        if let v2 = lines.first(where: { $0.hasPrefix("0::") }) {
            candidates.append(("/sys/fs/cgroup" + v2.dropFirst(3), "memory.max"))
        }
        for (parent, limit) in candidates {
            let child = parent + "/nameindex-test-\(getpid())-\(UUID().uuidString.prefix(4))"
            guard mkdir(child, 0o755) == 0 else { continue }
            if FileManager.default.fileExists(atPath: child + "/" + limit) { return (child, child + "/" + limit) }
            rmdir(child)
        }
        return nil
    }

    @Test func aReloadThatDoesNotFitIsRefusedAndOneThatFitsRuns() async throws {
        guard let cgroup = Self.childCgroup() else {
            print("MemoryLimitTests: no memory cgroup to make a child of here (not root, or no writable hierarchy); not run")
            return
        }
        defer { rmdir(cgroup.directory) }
        let daemon = try DaemonHarness(configuration: FaultTests.configuration, files: ["users.tsv": FaultTests.rows(0)])
        try await daemon.start()
        try "\(daemon.process.processIdentifier)\n".write(toFile: cgroup.directory + "/cgroup.procs", atomically: false, encoding: .utf8)
        // Less than the estimate (the serving generation × 1.25 + 64 MiB): refused.
        try "\(60 << 20)\n".write(toFile: cgroup.limitFile, atomically: false, encoding: .utf8)
        let refused = try daemon.namectl(["reload", "--wait"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not enough memory to reload"), "\(refused.stderr)")
        let status = try await daemon.client.status()
        #expect(status.generation == 1 && status.state == .serving)
        #expect(status.sources[0].lastError?.contains("memory.max") == true, "\(String(describing: status.sources[0].lastError))")
        #expect(daemon.log.contains("Not reloading: not enough memory to reload"))
        // Room enough: the reload runs.
        try "\(1 << 30)\n".write(toFile: cgroup.limitFile, atomically: false, encoding: .utf8)
        let ran = try daemon.namectl(["reload", "--wait"])
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(try await daemon.client.status().generation == 2)
        try await daemon.stop()
    }
}

/// Under an address-space limit (RLIMIT_AS) smaller than the 4 GiB a table reserves, the
/// reservation falls back to a smaller one: the daemon loads and serves, no crash.
@Suite struct AddressSpaceLimitTests {
    @Test func theDaemonServesUnderATwoGigabyteAddressSpaceLimit() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-as-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FaultTests.rows(0).write(to: directory.appendingPathComponent("users.tsv"), atomically: true, encoding: .utf8)
        try FaultTests.configuration.write(to: directory.appendingPathComponent("nameindexd.toml"), atomically: true, encoding: .utf8)
        let runtime = directory.appendingPathComponent("run").path
        let pid = try spawnDetached(
            "/usr/bin/prlimit",
            ["--as=2000000000", Products.nameindexd, "--config", directory.appendingPathComponent("nameindexd.toml").path,
             "--runtime-dir", runtime, "--state-dir", directory.appendingPathComponent("state").path],
            log: directory.appendingPathComponent("log").path)
        defer {
            kill(pid, SIGTERM)
            _ = reap(pid)
        }
        let client = NameIndexClient(socketPath: runtime + "/control")
        let deadline = ContinuousClock.now + .seconds(60)
        var generation: UInt64 = 0
        while generation == 0 && ContinuousClock.now < deadline {
            generation = (try? await client.status().generation) ?? 0
            if generation == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("log"), encoding: .utf8)) ?? ""
        #expect(generation == 1, "\(log)")
        #expect(try await client.lookup(namespace: "user", keys: ["199999"]).names == ["name 199999 of round 0"])
    }
}
