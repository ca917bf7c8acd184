import ArgumentParser
import NameIndexProtocol

/// `namectl metrics`
struct Metrics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the daemon's metrics in the Prometheus text format.",
        discussion: """
            The same text a Prometheus server would scrape: the nameindex_* metrics of \
            nameindexd(8), METRICS. With --json, {"text": "..."}.
            """)

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    func run() async throws {
        try await runReportingErrors {
            let text = try await options.client.metrics()
            if options.json {
                try printJSON(IndexInterface.MetricsReply(text: text))
            } else {
                print(text, terminator: "")
            }
        }
    }
}
