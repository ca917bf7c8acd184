#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation

/// The full load of four warehouse tables through beeline by the real daemon (the README's
/// recipe: one JSON object per row, beeline's prompt dropped), against the same beeline
/// commands alone writing to /dev/null at the same parallelism, alternating A B A B.
/// bench/warehouse starts Spark's Thrift server, creates the tables and then runs this.
struct WarehouseBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warehouse", abstract: "Time nameindexd's load through beeline against beeline alone.")

    @Option(help: "The beeline program.") var beeline: String
    @Option(help: "The JDBC URL of the HiveServer2.") var url: String
    @Option(help: "Rounds of A B.") var rounds = 2
    @Option(help: "Partitions of the 10M-row table.") var partitions = 4
    @Option(help: "Work directory.") var work = "/tmp/nameindex-bench-warehouse"

    /// The tables bench/warehouse creates, their rows, and whether the source is split.
    static let tables: [(name: String, rows: Int, split: Bool)] = [
        ("users_10m", 10_000_000, true), ("accounts_2m", 2_000_000, false),
        ("teams_300k", 300_000, false), ("sites_5k", 5_000, false),
    ]

    static let flags = ["--silent=true", "--outputformat=tsv2", "--showHeader=false", "--incremental=true"]
    static let prompt = #"^[0-9]+: jdbc:[^ ]*> "#

    func query(_ table: String, split: Bool) -> String {
        "SELECT to_json(named_struct('id', id, 'name', name)) FROM \(table)"
            + (split ? " WHERE pmod(hash(id), {partitions}) = {partition}" : "")
    }

    func partitionCount(_ split: Bool) -> Int { split ? partitions : 1 }

    /// A TOML basic string.
    func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    func daemonConfiguration(directory: String) -> String {
        var text = """
            [daemon]
            runtime_directory = "\(directory)/run"
            state_directory = "\(directory)/state"

            """
        for table in Self.tables {
            let argv = [beeline, "-u", url] + Self.flags + ["-e", query(table.name, split: table.split)]
            text += """

                [[source]]
                name = "\(table.name)"
                namespace = "\(table.name)"
                kind = "command"
                command = [\(argv.map(quoted).joined(separator: ", "))]
                format = "ndjson"
                drop_prefix = '\(Self.prompt)'
                partitions = \(partitionCount(table.split))
                timeout = "1h"
                stall_timeout = "10min"
                retries = 0

                """
        }
        return text
    }

    /// Every table's partitions through beeline at once, to /dev/null; the seconds until the last ends.
    func beelineAlone() throws -> Double {
        try Programs.runAtOnce(Self.tables.flatMap { table in
            let count = partitionCount(table.split)
            return (0..<count).map { i in
                let text = query(table.name, split: table.split)
                    .replacingOccurrences(of: "{partitions}", with: "\(count)").replacingOccurrences(of: "{partition}", with: "\(i)")
                return (beeline, ["-u", url] + Self.flags + ["-e", text])
            }
        })
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let expected = Self.tables.reduce(0) { $0 + $1.rows }
        let commands = Self.tables.reduce(0) { $0 + partitionCount($1.split) }
        print("warehouse benchmark: \(Self.tables.map(\.name).joined(separator: ", ")) over \(url), \(commands) beeline commands at once; \(rounds) rounds of A (beeline alone, to /dev/null) B (nameindexd, command kind, ndjson)")
        var alone: [Double] = []
        var loads: [DaemonLoad] = []
        for round in 1...rounds {
            alone.append(try beelineAlone())
            let load = try await DaemonLoad.measure(directory: work + "/daemon", configuration: daemonConfiguration(directory: work + "/daemon"))
            guard load.entries == expected, load.skipped == 0 else {
                throw BenchError("the daemon loaded \(load.entries) entries (\(load.skipped) skipped), not \(expected)")
            }
            loads.append(load)
            print(String(format: "round %d: beeline alone %.1f s, nameindexd load %.1f s (READY after %.1f s), %.0f ns CPU/row, peak RSS %@",
                         round, alone.last!, load.loadSeconds, load.readySeconds, load.cpuNanosecondsPerRow, Figures.mib(load.peakRSS)))
        }
        let a = Figures.median(alone)
        let b = Figures.median(loads.map(\.loadSeconds))
        print(String(format: "median: beeline alone %.1f s; nameindexd %.1f s = %.3f × beeline alone (target ≤ 1.1 ×); daemon CPU %.0f ns/row; %d entries, index %@, peak RSS %@",
                     a, b, b / a, Figures.median(loads.map(\.cpuNanosecondsPerRow)), expected,
                     Figures.mib(loads.last!.indexBytes), Figures.mib(Int(Figures.median(loads.map { Double($0.peakRSS) })))))
    }
}
