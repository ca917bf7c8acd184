#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

/// min_rows, max_shrink and on_failure with the real daemon and namectl.
@Suite struct SourceGuardTests {
    static func rows(_ count: Int) -> String { (0..<count).map { "\($0)\tname \($0)" }.joined(separator: "\n") + "\n" }

    static func configuration(onFailure: String) -> String {
        """
        [[source]]
        name = "users"
        namespace = "user"
        kind = "file"
        path = "users.tsv"
        max_shrink = "20%"
        min_rows = 5
        on_failure = "\(onFailure)"

        [[source]]
        name = "teams"
        namespace = "team"
        kind = "file"
        path = "teams.tsv"

        """
    }

    @Test func aSourceReturningTenPercentTripsMaxShrinkAndKeepsServingItsOldRows() async throws {
        let daemon = try DaemonHarness(
            configuration: Self.configuration(onFailure: "keep"), files: ["users.tsv": Self.rows(100), "teams.tsv": "1\tRed\n"])
        try await daemon.start()
        try daemon.write("users.tsv", Self.rows(10))
        try daemon.write("teams.tsv", "1\tBlue\n")
        let reload = try daemon.namectl(["reload", "--wait"])
        #expect(reload.status == 1)
        #expect(reload.stderr.contains("returned 10 rows, 90% fewer than the 100 of generation 1 (max_shrink = 20%)"), "\(reload.stderr)")
        // The old rows of users keep serving; teams, which passed, serves its new rows.
        #expect(try daemon.namectl(["get", "user", "50"]).stdout == "50\tname 50\n")
        #expect(try daemon.namectl(["get", "team", "1"]).stdout == "1\tBlue\n")
        let status = try daemon.namectl(["status"])
        #expect(status.stdout.contains("stale"))
        #expect(status.stdout.contains("max_shrink = 20%"))
        let reply = try await daemon.client.status()
        // On a slow machine the failed source's retry (15–30 s later) may have run, or be
        // running: it fails the same way and the old rows still serve.
        #expect(reply.generation >= 2)
        #expect(reply.sources[0].state == .stale || reply.sources[0].state == .failedAndReloading, "\(reply.sources[0].state)")
        #expect(reply.sources[0].rows == 100)
        try await daemon.stop()
    }

    @Test func minRowsFailsTheSource() async throws {
        let daemon = try DaemonHarness(
            configuration: Self.configuration(onFailure: "keep"), files: ["users.tsv": Self.rows(100), "teams.tsv": "1\tRed\n"])
        try await daemon.start()
        try daemon.write("users.tsv", Self.rows(90) + "\n")
        #expect(try daemon.namectl(["reload", "--wait"]).status == 0)  // 10% fewer: within max_shrink
        try daemon.write("users.tsv", Self.rows(4))
        let reload = try daemon.namectl(["reload", "--wait"])
        #expect(reload.status == 1)
        #expect(reload.stderr.contains("returned 4 rows, fewer than min_rows = 5"))
        #expect(try await daemon.client.status().sources[0].rows == 90)
        try await daemon.stop()
    }

    @Test func onFailureFailAppliesNothingOfTheReload() async throws {
        let daemon = try DaemonHarness(
            configuration: Self.configuration(onFailure: "fail"), files: ["users.tsv": Self.rows(100), "teams.tsv": "1\tRed\n"])
        try await daemon.start()
        try daemon.write("users.tsv", Self.rows(10))
        try daemon.write("teams.tsv", "1\tBlue\n")
        let reload = try daemon.namectl(["reload", "--wait"])
        #expect(reload.status == 1)
        #expect(reload.stderr.contains("the reload was not applied (on_failure = fail) and generation 1 keeps serving"), "\(reload.stderr)")
        // Nothing changed: not even the source that loaded.
        #expect(try daemon.namectl(["get", "team", "1"]).stdout == "1\tRed\n")
        let status = try await daemon.client.status()
        #expect(status.generation == 1)
        #expect(status.state == .serving)
        #expect(status.sources.map(\.state) == [.stale, .loaded])
        #expect(status.sources[0].lastError?.contains("max_shrink") == true)
        try await daemon.stop()
    }
}
