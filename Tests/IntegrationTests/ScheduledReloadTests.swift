import Foundation
import NameIndexProtocol
import Testing

@Suite struct ScheduledReloadTests {
    @Test func theTimerReloadsAndAFailedSourceIsRetriedAndStatusSaysWhen() async throws {
        // users: a 3 s timer with up to 200 ms of jitter. teams: no timer, and it fails.
        let daemon = try DaemonHarness(configuration: """
            [daemon]
            reload_jitter = "200ms"

            [[source]]
            name = "users"
            namespace = "user"
            kind = "command"
            command = ["sh", "-c", "echo run >> users.runs; printf '1\\\\tZoë\\\\n'"]
            reload_interval = "3s"

            [[source]]
            name = "teams"
            namespace = "team"
            kind = "file"
            path = "missing.tsv"
            retries = 0
            """)
        try await daemon.start()
        // On a slow machine the first timer reload may already be running (no next reload is
        // due while it runs): wait until users is between reloads.
        var first = try await daemon.client.status()
        let settle = ContinuousClock.now + .seconds(60)
        while first.sources[0].nextReloadUSec == nil && ContinuousClock.now < settle {
            try await Task.sleep(for: .milliseconds(20))
            first = try await daemon.client.status()
        }
        let users = try #require(first.sources[0].nextReloadUSec)
        let loaded = try #require(first.sources[0].lastSuccessUSec)
        #expect(users >= loaded + 3_000_000 && users <= loaded + 3_200_000 + 100_000)
        #expect(first.sources[0].nextReloadReason == "timer")
        // The failed source is retried after 15–30 s although it has no timer (30–60 s after a
        // second failure, which a slow machine may already have seen).
        let teams = try #require(first.sources[1].nextReloadUSec)
        let failedAt = try #require(first.sources[1].lastErrorUSec)
        let reason = try #require(first.sources[1].nextReloadReason)
        let failures = reason == "retry after a failed load" ? 1 : Int(reason.split(separator: " ").dropFirst(2).first ?? "") ?? 0
        #expect(failures >= 1, "\(reason)")
        let base = UInt64(15_000_000) << UInt64(max(0, failures - 1))
        #expect(teams >= failedAt + base && teams <= failedAt + 2 * base)
        let text = try daemon.namectl(["status"]).stdout
        #expect(text.contains("NEXT RELOAD"))
        #expect(text.contains("(retry after "), "\(text)")
        // The timer fires by itself, reloading users only.
        let deadline = ContinuousClock.now + .seconds(60)
        var runs = 1
        while runs < 3 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            runs = (try? String(contentsOf: daemon.directory.appendingPathComponent("users.runs"), encoding: .utf8))?
                .split(separator: "\n").count ?? 0
        }
        #expect(runs >= 3)
        let later = try await daemon.client.status()
        #expect(later.generation >= 3)
        #expect(later.sources[1].state == .failed || later.sources[1].state == .failedAndReloading)
        // Not retried early by the users' reloads: still due when it was, or (a slow machine,
        // past the due time) retried no earlier than that.
        if later.sources[1].lastErrorUSec == failedAt {
            #expect(later.sources[1].nextReloadUSec == teams)
        } else {
            #expect((later.sources[1].lastErrorUSec ?? 0) >= teams, "retried before it was due")
        }
        try await daemon.stop()
    }
}
