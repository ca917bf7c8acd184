#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexCore
import NameIndexProtocol
import Testing

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
