#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// SO_PEERCRED on the control socket: the daemon runs as root, namectl as nobody.
@Suite(.enabled(if: getuid() == 0, "needs root, to run namectl as another user"))
struct AccessControlTests {
    static let configuration = """
        [[source]]
        name = "users"
        namespace = "user"
        kind = "file"
        path = "users.tsv"

        """

    /// namectl, copied where nobody may run it, run as nobody (uid 65534, group nogroup).
    func namectlAsNobody(_ daemon: DaemonHarness, _ arguments: [String]) throws -> ProgramResult {
        let copy = daemon.directory.appendingPathComponent("namectl").path
        if !FileManager.default.fileExists(atPath: copy) {
            try FileManager.default.copyItem(atPath: Products.namectl, toPath: copy)
        }
        for path in [daemon.directory.path, daemon.runtimeDirectory, copy] { chmod(path, 0o755) }
        return try runProgram(
            "/usr/bin/setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "--", copy, "--socket", daemon.socketPath] + arguments)
    }

    @Test func anotherUserMayLookUpButNotReload() async throws {
        let daemon = try DaemonHarness(configuration: Self.configuration, files: ["users.tsv": "42\tZoë Martin\n"])
        try await daemon.start()
        let get = try namectlAsNobody(daemon, ["get", "user", "42"])
        #expect(get.stdout == "42\tZoë Martin\n", "status \(get.status): \(get.stderr)")
        #expect(try namectlAsNobody(daemon, ["status"]).status == 0)
        for arguments in [["reload"], ["reload", "--wait"]] {
            let reload = try namectlAsNobody(daemon, arguments)
            #expect(reload.status == 1)
            #expect(reload.stderr.contains("Permission denied: uid 65534 may not reload"), "\(reload.stderr)")
        }
        #expect(try await daemon.client.status().generation == 1)
        // Root may.
        #expect(try daemon.namectl(["reload", "--wait"]).status == 0)
        try await daemon.stop()
    }

    @Test func membersOfTheControlGroupMayReload() async throws {
        let daemon = try DaemonHarness(
            configuration: "[daemon]\ncontrol_group = \"nogroup\"\n\n" + Self.configuration, files: ["users.tsv": "42\tZoë\n"])
        try await daemon.start()
        let reload = try namectlAsNobody(daemon, ["reload", "--wait"])
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(try await daemon.client.status().generation == 2)
        try await daemon.stop()
    }

    @Test func anUnknownControlGroupStopsTheDaemonWithAClearError() async throws {
        let daemon = try DaemonHarness(
            configuration: "[daemon]\ncontrol_group = \"no-such-group-nameindex\"\n\n" + Self.configuration, files: ["users.tsv": "1\ta\n"])
        try daemon.launch()
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationStatus == 1)
        let log = try String(contentsOf: daemon.logFile, encoding: .utf8)
        #expect(log.contains("control_group 'no-such-group-nameindex' does not exist"), "\(log)")
    }
}
