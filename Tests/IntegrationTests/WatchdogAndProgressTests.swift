#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Systemd
import Testing

@Suite struct WatchdogAndProgressTests {
    @Test func theWatchdogIsPingedOnlyWhileTheServingPathAnswers() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        let receiver = try makeNotifyReceiver(in: daemon.directory)
        try await daemon.start(environment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "400000"])
        var pings = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while pings < 3 && ContinuousClock.now < deadline {
            pings += receiver.collect(timeout: .milliseconds(500)) { _ in false }.filter { $0.contains("WATCHDOG=1") }.count
        }
        #expect(pings >= 3)
        // Take the socket file away: the probe cannot reach the server, so the pings stop.
        unlink(daemon.socketPath)
        _ = receiver.collect(timeout: .milliseconds(400)) { _ in false }  // a probe already under way
        let after = receiver.collect(timeout: .milliseconds(1200)) { _ in false }
        #expect(!after.contains { $0.contains("WATCHDOG=1") }, "\(after)")
        #expect(try await daemon.stop() == 0)
    }

    @Test func aLongFirstLoadShowsProgressAndExtendsTheStartTimeoutWhileRowsArrive() async throws {
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "command"
            command = ["sh", "-c", "for i in 1 2 3 4 5 6 7; do printf '%s\\\\tname %s\\\\n' $i $i; sleep 0.5; done"]
            """)
        let receiver = try makeNotifyReceiver(in: daemon.directory)
        try daemon.launch(environment: ["NOTIFY_SOCKET": receiver.path])
        let messages = receiver.collect(timeout: .seconds(60)) { $0.contains("READY=1") }
        let ready = try #require(messages.firstIndex { $0.contains("READY=1") })
        let before = messages[..<ready]
        #expect(before.contains { $0.contains("EXTEND_TIMEOUT_USEC=10000000") }, "\(messages)")
        #expect(before.contains { $0.contains("STATUS=Loading: ") && $0.contains(" rows (users running)") }, "\(messages)")
        try await daemon.waitUntilLoaded()
        #expect(try await daemon.stop() == 0)
    }
}
