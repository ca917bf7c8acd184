#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Systemd
import Testing

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
        let deadline = ContinuousClock.now + .seconds(60)
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
