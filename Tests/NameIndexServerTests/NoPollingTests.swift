import Foundation
import Testing

/// Reload progress, outcomes and cancels travel as events (a ticket's stream, task
/// cancellation), never by a loop that sleeps and looks again: on the control and reload side,
/// only the scheduler's timer (`ReloadScheduler.sleep`) waits for a time.
@Suite struct NoPollingTests {
    static let server = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/NameIndexServer")

    @Test func onlyTheSchedulersTimerSleeps() throws {
        var files = 0
        for folder in ["Control", "Reload"] {
            let directory = Self.server.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".swift") {
                files += 1
                let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                let sleeps = text.components(separatedBy: "Task.sleep").count - 1
                let allowed = folder == "Reload" && name == "ReloadScheduler.swift" ? 2 : 0
                #expect(sleeps == allowed, "\(folder)/\(name) calls Task.sleep \(sleeps) times")
                #expect(!text.contains("Task.yield()"), "\(folder)/\(name) spins with Task.yield()")
            }
        }
        #expect(files > 10, "the folders were read")
    }
}
