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
