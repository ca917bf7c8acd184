import ArgumentParser
import Foundation
import NameIndexProtocol

/// `namectl status` (the default verb)
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's state, its generation and every source.")

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    @Flag(name: .shortAndLong, help: "Show the rows each source skipped in its last load as well (skipped_sample).")
    var verbose = false

    func run() async throws {
        try await runReportingErrors {
            let status = try await options.client.status()
            if options.json {
                try printJSON(status)
            } else {
                print(
                    StatusFormatter(now: UInt64(Date().timeIntervalSince1970 * 1_000_000), legend: !options.noLegend, verbose: verbose)
                        .render(status, socket: options.socketPath),
                    terminator: "")
            }
        }
    }
}
