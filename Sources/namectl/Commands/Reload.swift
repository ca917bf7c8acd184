import ArgumentParser
import NameIndexClient
import NameIndexProtocol

/// `namectl reload`
struct Reload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch every source again and wait until the new generation serves.",
        discussion: """
            Joins a reload that is already running. Exits 0 when every source loaded, 1 when \
            any failed (sources that failed keep serving their previous rows; see 'namectl status').
            """)

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    func run() async throws {
        try await runReportingErrors {
            let reply = try await options.client.reload()
            if options.json {
                try printJSON(reply)
            } else {
                print(
                    "Generation \(reply.generation) serving \(HumanFormat.count(reply.entries)) names (loaded in \(HumanFormat.duration(microseconds: reply.durationUSec))).")
            }
        }
    }
}
