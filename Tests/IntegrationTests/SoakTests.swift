import Foundation
import Testing

/// bench/soak for one minute: redis-benchmark HGETs, redis-py HMGETs and varlink Lookups
/// while the daemon reloads every 2 s from changing sources. Zero errors, every answer from
/// one generation, no RSS growth after warm-up (the script's own checks; it exits 1 else).
@Suite struct SoakTests {
    @Test func oneMinuteOfLoadDuringReloads() async throws {
        let script = Products.packageRoot.appendingPathComponent("bench/soak").path
        let python = ProcessInfo.processInfo.environment["PYTHON"] ?? "python3"
        let bin = Products.directory.path
        let result = try await offPool { try runProgram("/usr/bin/env", [python, script, "1", "--bin", bin]) }
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("soak: PASS"))
    }
}
