import Foundation
import Testing

/// A `command` source whose fetch a test holds and releases, so that it acts when it has seen
/// what it waits for, never after a sleep: while the file ``holdWhile`` exists in the daemon's
/// directory (nil: always) the fetch creates `running` and waits until `go` exists.
struct GatedCommand {
    var name = "users"
    var namespace = "user"
    /// The one row it prints, key and name.
    var key = "1"
    var value = "Zoë"
    /// The file whose presence holds the fetch; nil: every fetch is held.
    var holdWhile: String? = "slow"
    /// Each fetch appends a line to `<name>.runs`.
    var countsRuns = false
    /// A released fetch removes `go` and `running`, so the next one is held again.
    var resetsGate = false
    /// Instead of waiting for `go`, a held fetch hangs in `sleep <seconds>` (a child of its
    /// process group, found by that command line) until it is killed: for cancel and shutdown.
    var hangsIn: String?

    /// The shell script of its `command`.
    var script: String {
        var held = "touch running; while [ ! -e go ]; do sleep 0.05; done;" + (resetsGate ? " rm -f go running;" : "")
        if let hangsIn { held = "sleep \(hangsIn) & wait;" }
        if let holdWhile { held = "if [ -e \(holdWhile) ]; then \(held) fi;" }
        return (countsRuns ? "echo run >> \(name).runs; " : "") + held + " printf '%s\\t%s\\n' '\(key)' '\(value)'"
    }

    /// Its `[[source]]` table.
    var toml: String {
        let quoted = script.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return """
            [[source]]
            name = "\(name)"
            namespace = "\(namespace)"
            kind = "command"
            command = ["sh", "-c", "\(quoted)"]

            """
    }
}

extension DaemonHarness {
    /// Waits until the file at `path` has something in it (a client's first reply); 60 s at most.
    func waitUntilNonEmpty(_ path: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").isEmpty {
            guard ContinuousClock.now < deadline else {
                Issue.record("\(path) stayed empty for 60 s:\n\(log)")
                throw HarnessError.daemonDidNotStart
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
