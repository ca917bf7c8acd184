import ArgumentParser
import Foundation
import NameIndexProtocol

/// `namectl skipped SOURCE`
struct Skipped: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the rows a source skipped in its last load, and why.",
        discussion: """
            The counts by reason (a NULL key or name, an empty one, invalid UTF-8, a malformed \
            line, a line over max_line_bytes, keys an earlier source shadows), then the first \
            skipped_sample rows (nameindexd.toml(5)): the reason, where the row was (a file and \
            line, a line of a command's output, a row of a query, and the partition), its key \
            and its first 200 bytes, escaped (\\\\ a backslash, \\t \\n \\r, \\xNN any other byte \
            that is not printable UTF-8).
            """)

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    @Argument(help: "The source.") var source: String

    func run() async throws {
        try await runReportingErrors {
            let status = try await options.client.status()
            guard let entry = status.sources.first(where: { $0.name == source }) else {
                printError("No source named '\(source)'.")
                throw ExitCode.failure
            }
            if options.json {
                try printJSON(entry.skippedRows ?? [])
                return
            }
            let counts: [(String, Int)] = [
                ("null", entry.skippedNull), ("empty", entry.skippedEmpty), ("invalid_utf8", entry.skippedInvalidUTF8),
                ("malformed", entry.skippedMalformed), ("too_long", entry.skippedTooLong), ("shadowed", entry.shadowed),
            ]
            let total = counts.dropLast().reduce(0) { $0 + $1.1 }
            print("\(source): \(HumanFormat.count(total, "row")) skipped in its last load; " + counts.map { "\($0.0) \(HumanFormat.count($0.1))" }.joined(separator: ", ")
                + (entry.duplicates > 0 ? "; \(HumanFormat.count(entry.duplicates, "duplicate key")) (the first kept)" : ""))
            guard let rows = entry.skippedRows, !rows.isEmpty else { return }
            print("")
            print(StatusFormatter.skippedTable(rows, legend: !options.noLegend), terminator: "")
        }
    }
}
