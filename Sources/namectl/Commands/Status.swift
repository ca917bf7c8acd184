import ArgumentParser
import Foundation
import NameIndexProtocol

/// `namectl status` (the default verb)
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's state, its generation and every source.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReportingErrors {
            let status = try await options.client.status()
            if options.json {
                try printJSON(status)
            } else {
                print(
                    StatusFormatter(now: UInt64(Date().timeIntervalSince1970 * 1_000_000), legend: !options.noLegend)
                        .render(status, socket: options.socketPath),
                    terminator: "")
            }
        }
    }
}
