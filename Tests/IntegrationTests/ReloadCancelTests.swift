import Foundation
import NameIndexProtocol
import Testing

@Suite struct ReloadCancelTests {
    @Test func cancelMidFetchKeepsTheGenerationAndLeavesNoProcess() async throws {
        // Once 'slow' exists the command hangs in a child (sleep 31.5, our marker) of its process group.
        let daemon = try DaemonHarness(configuration: GatedCommand(hangsIn: "31.5").toml)
        try await daemon.start()
        #expect(try daemon.namectl(["reload", "--cancel"]).stdout.hasPrefix("No reload is running; generation 1 is serving."))
        try daemon.write("slow", "")
        let waiting = Process()
        waiting.executableURL = URL(fileURLWithPath: Products.namectl)
        waiting.arguments = ["--socket", daemon.socketPath, "reload", "--wait"]
        let errors = Pipe()
        waiting.standardError = errors
        waiting.standardOutput = FileHandle.nullDevice
        try waiting.run()
        var running = false
        for _ in 0..<400 where !running {
            running = try await daemon.client.status().sources[0].fetch?.state == .running
                && (try runProgram("/usr/bin/pgrep", ["-f", "sleep 31.5"])).status == 0
            if !running { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(running)
        let cancel = try daemon.namectl(["reload", "--cancel"])
        #expect(cancel.status == 0)
        #expect(cancel.stdout.hasPrefix("Cancelled the running reload; generation 1 keeps serving."), "\(cancel.stdout)")
        waiting.waitUntilExit()
        #expect(waiting.terminationStatus == 1)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("Reload cancelled. Generation 1 is serving."), "\(message)")
        let status = try await daemon.client.status()
        #expect(status.generation == 1)
        #expect(status.state == .serving)
        #expect(status.sources[0].state == .loaded)
        #expect(try daemon.namectl(["get", "user", "1"]).stdout == "1\tZoë\n")
        // The whole process group is gone.
        #expect(try runProgram("/usr/bin/pgrep", ["-f", "sleep 31.5"]).status == 1)
        try await daemon.stop()
    }
}
