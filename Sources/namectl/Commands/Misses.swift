import ArgumentParser
import Foundation
import NameIndexProtocol

/// `namectl misses NAMESPACE`
struct Misses: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the keys most often looked up in a namespace and not found.",
        discussion: """
            From the namespace's sample of the lookup socket's misses since the last full reload \
            (space-saving over miss_sample places, nameindexd.toml(5)): each key with its count, \
            the most missed first. A count is at most the true one plus ERROR; every key missed \
            more than misses ÷ miss_sample times is listed. Keys the index has answered since \
            are left out.
            """)

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    @Argument(help: "The namespace.") var namespace: String
    @Option(name: .shortAndLong, help: "List at most this many keys.") var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
    }

    func run() async throws {
        try await runReportingErrors {
            let reply = try await options.client.misses(namespace: namespace, limit: limit)
            if options.json {
                try printJSON(reply)
                return
            }
            guard reply.capacity > 0 else {
                print("Missed keys are not sampled (miss_sample = 0).")
                return
            }
            let now = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000))
            var table = TextTable(columns: ["KEY", "COUNT", "ERROR", "FIRST SEEN", "LAST SEEN"], rightAligned: [1, 2])
            for key in reply.keys {
                table.append([
                    key.key + (key.truncated ? "…" : ""), HumanFormat.count(key.count), HumanFormat.count(key.error),
                    HumanFormat.ago(key.firstSeenUSec, now: now), HumanFormat.ago(key.lastSeenUSec, now: now),
                ])
            }
            print(table.render(legend: !options.noLegend), terminator: "")
            if !options.noLegend {
                print(
                    "\n\(HumanFormat.count(reply.misses, "miss", "misses")) of about \(HumanFormat.count(reply.distinct, "key")) "
                        + "in '\(reply.namespace)' since \(HumanFormat.timestamp(microseconds: reply.sinceUSec)) "
                        + "(sample of \(reply.capacity), generation \(reply.generation)).")
            }
        }
    }
}
