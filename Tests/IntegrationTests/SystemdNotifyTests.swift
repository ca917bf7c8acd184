#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Systemd
import Testing

/// A NOTIFY_SOCKET of our own in `directory`, as systemd would provide.
func makeNotifyReceiver(in directory: URL) throws -> NotifySocketReceiver {
    try NotifySocketReceiver(path: directory.appendingPathComponent("notify").path)
}

@Suite struct SystemdNotifyTests {
    @Test func readyStatusReloadingAndStoppingReachTheServiceManager() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        let receiver = try makeNotifyReceiver(in: daemon.directory)
        try await daemon.start(environment: ["NOTIFY_SOCKET": receiver.path])

        let startup = receiver.collect(timeout: .seconds(60)) { $0.contains("READY=1") }
        let ready = try #require(startup.first { $0.contains("READY=1") })
        #expect(ready.contains("STATUS=Serving 6 names in 2 namespaces (generation 1)"))

        kill(daemon.process.processIdentifier, SIGHUP)
        let reload = receiver.collect(timeout: .seconds(60)) { $0.contains("READY=1") }
        let reloading = try #require(reload.first { $0.hasPrefix("RELOADING=1") })
        let monotonic = try #require(reloading.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") })
        #expect(UInt64(monotonic.dropFirst("MONOTONIC_USEC=".count)) != nil)
        let readyAgain = try #require(reload.last)
        #expect(readyAgain.contains("READY=1"))
        #expect(readyAgain.contains("(generation 2)"))
        #expect(reload.firstIndex { $0.hasPrefix("RELOADING=1") }! < reload.lastIndex { $0.contains("READY=1") }!)

        #expect(try await daemon.stop() == 0)
        #expect(receiver.drain().contains { $0.contains("STOPPING=1") })
    }
}

extension SystemdNotifyTests {
    @Test func aCancelledReloadAfterSIGHUPStillEndsWithReady() async throws {
        let daemon = try DaemonHarness(configuration: GatedCommand(hangsIn: "30").toml)
        let receiver = try makeNotifyReceiver(in: daemon.directory)
        try await daemon.start(environment: ["NOTIFY_SOCKET": receiver.path])
        _ = receiver.collect(timeout: .seconds(60)) { $0.contains("READY=1") }
        try daemon.write("slow", "")
        kill(daemon.process.processIdentifier, SIGHUP)
        let reloading = receiver.collect(timeout: .seconds(60)) { $0.hasPrefix("RELOADING=1") }
        #expect(reloading.contains { $0.hasPrefix("RELOADING=1") })
        var cancelled = false
        for _ in 0..<200 where !cancelled {
            cancelled = try daemon.namectl(["reload", "--cancel"]).stdout.hasPrefix("Cancelled")
            if !cancelled { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(cancelled)
        let after = receiver.collect(timeout: .seconds(60)) { $0.contains("READY=1") }
        let ready = try #require(after.last { $0.contains("READY=1") })
        #expect(ready.contains("(generation 1)"))
        #expect(try await daemon.stop() == 0)
    }
}
