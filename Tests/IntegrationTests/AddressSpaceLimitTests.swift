#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexCore
import NameIndexProtocol
import Testing

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
