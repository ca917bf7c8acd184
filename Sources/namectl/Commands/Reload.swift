#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import NameIndexClient
import NameIndexProtocol

/// `namectl reload`
struct Reload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch every source (or the named ones) again, in full or as a delta.",
        discussion: """
            --full (the default, as for SIGHUP) fetches every row. --delta runs the delta query of \
            every source that has one (or of the named ones): only the rows changed since each \
            source's watermark are read, into its overlay; a delta that changes nothing makes no \
            new generation.

            
            Without --wait, asks for the reload and returns once the daemon has taken it (a reload \
            already running is joined). With --wait, shows each source's progress until the new \
            generation serves: a live display on a terminal, a line per change otherwise, and with \
            --json every progress reply as a line of JSON. Exits 0 when every source loaded, 1 when \
            any failed (sources that failed keep serving their previous rows; see 'namectl status') \
            or the reload was cancelled. --cancel stops the running reload; the serving generation stays.
            """)

    @Argument(help: "The sources to fetch (default: all); the others keep their rows.")
    var sources: [String] = []

    @Flag(help: "Wait for the outcome, showing progress; the exit status is the outcome.")
    var wait = false

    @Flag(help: "Cancel the running reload instead; the serving generation keeps serving.")
    var cancel = false

    @Flag(help: "Fetch only what changed since each source's watermark (its delta query).")
    var delta = false

    @Flag(help: "Fetch every row (the default).")
    var full = false

    var mode: IndexInterface.ReloadParameters.Mode? { delta ? .delta : full ? .full : nil }

    func validate() throws {
        if delta && full { throw ValidationError("--delta and --full cannot be combined") }
        if cancel && (delta || full) { throw ValidationError("--cancel takes neither --delta nor --full") }
        if cancel && wait { throw ValidationError("--cancel and --wait cannot be combined") }
        if cancel && !sources.isEmpty { throw ValidationError("--cancel takes no sources") }
    }

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    func run() async throws {
        try await runReportingErrors {
            if cancel {
                let reply = try await options.client.cancelReload()
                if options.json {
                    try printJSON(reply)
                } else if reply.cancelled {
                    print("Cancelled the running reload; generation \(reply.generation) keeps serving.")
                } else {
                    print("No reload is running; generation \(reply.generation) is serving.")
                }
                return
            }
            guard wait else {
                // The first progress reply says the daemon took the request; the reload runs on without us.
                do {
                    try await options.client.reload(sources: sources, mode: mode) { reply, continues in
                        if options.json {
                            try printJSON(reply)
                        } else if continues {
                            print("\(delta ? "Delta" : "Reload") started; generation \(reply.generation) serves meanwhile ('namectl status' shows progress).")
                        } else {
                            print(Self.outcome(reply))
                        }
                        throw Taken()
                    }
                } catch is Taken {}
                return
            }
            let display = ProgressDisplay(live: !options.json && isatty(STDOUT_FILENO) == 1)
            try await options.client.reload(sources: sources, mode: mode) { reply, continues in
                if options.json {
                    try printJSON(reply)
                    return
                }
                display.show(reply.sources ?? [], final: !continues)
                if !continues { print(Self.outcome(reply)) }
            }
        }
    }

    struct Taken: Error {}

    static func outcome(_ reply: IndexInterface.ReloadReply) -> String {
        "Generation \(reply.generation) serving \(HumanFormat.count(reply.entries)) names (loaded in \(HumanFormat.duration(microseconds: reply.durationUSec)))."
    }
}

/// One line per source: a live, redrawn block on a terminal; otherwise a plain line whenever a source's state changes.
final class ProgressDisplay {
    let live: Bool
    private var drawnLines = 0
    private var lastStates: [String: String] = [:]

    init(live: Bool) { self.live = live }

    func show(_ sources: [IndexInterface.SourceStatus], final: Bool) {
        let lines = sources.map(Self.line)
        if live {
            var out = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
            for line in lines { out += "\r\u{1B}[2K" + line + "\n" }
            FileHandle.standardOutput.write(Data(out.utf8))
            drawnLines = lines.count
            return
        }
        for (source, line) in zip(sources, lines) {
            let state = source.fetch.map { "\($0.state.rawValue) \($0.attempt)" } ?? source.state.displayName
            if lastStates[source.name] != state || (final && lastStates[source.name] == nil) {
                lastStates[source.name] = state
                print(line)
            }
        }
        // A pipe's reader sees each change when it happens.
        fflush(nil)
    }

    /// `users      running   1,204,332 rows  38.1 MiB  812,004 rows/s  [#########-----------]  45%  ETA 12s  partitions 2/4 done`
    /// (the bar when the previous load's rows are known: `source.rows`, what the serving generation holds).
    static func line(_ source: IndexInterface.SourceStatus) -> String {
        guard let fetch = source.fetch else { return "\(source.name)  \(source.state.displayName)" }
        var text = "\(source.name.padding(toLength: max(12, source.name.count), withPad: " ", startingAt: 0)) "
        text += fetch.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
        text += " \(HumanFormat.count(fetch.rows)) rows  \(HumanFormat.bytes(fetch.bytes))"
        if fetch.elapsedUSec > 0 {
            let rate = Double(fetch.rows) / (Double(fetch.elapsedUSec) / 1e6)
            text += "  \(HumanFormat.count(Int(rate))) rows/s"
        }
        if fetch.state == .running,
            let bar = ProgressBar.text(rows: fetch.rows, previousRows: source.rows, elapsedUSec: fetch.elapsedUSec)
        {
            text += "  " + bar
        }
        if let parts = fetch.partitions {
            text += "  partitions \(parts.filter { $0.state == .done }.count)/\(parts.count) done"
            let retrying = parts.filter { $0.state == .retrying }.count
            if retrying > 0 { text += ", \(retrying) retrying" }
        }
        if fetch.attempt > 1 { text += "  attempt \(fetch.attempt)" }
        return text
    }
}
