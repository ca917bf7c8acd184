#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import NameIndexClient
import NameIndexSources

/// The full load of four PostgreSQL tables by the real daemon, against psql's COPY of the
/// same rows at the same parallelism, alternating A B A B. bench/fetch-postgres sets up the
/// server and the tables and then runs this.
struct FetchBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch", abstract: "Time nameindexd's PostgreSQL load against psql \\copy.")

    @Option(help: "The PostgreSQL socket directory.") var host: String
    @Option(help: "The PostgreSQL user.") var user: String
    @Option(help: "The database.") var database = "postgres"
    @Option(help: "Comma-separated partition counts.") var partitions = "1,2,4"
    @Option(help: "Rounds of A B per partition count.") var rounds = 3
    @Option(help: "Work directory.") var work = "/tmp/nameindex-bench-fetch"
    @Option(help: "psql.") var psql = "/usr/bin/psql"

    /// The tables bench/fetch-postgres creates, in source order.
    static let tables = ["users_10m", "accounts_2m", "teams_300k", "sites_5k"]

    func predicate(_ partition: Int, of count: Int) -> String {
        PartitionFilter(method: .hash, key: "id").predicate(
            for: Partition(index: partition, of: count), bounds: nil, dialect: .postgresql)
    }

    /// The kinds the daemon is timed with: libpq's binary COPY by hash and by heap pages, and
    /// psql's COPY through the command kind.
    enum Kind: String { case postgresql, pages, command }

    /// Each table's heap pages now (what `pages` splits), read with psql.
    func pageCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in Self.tables {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: psql)
            process.arguments = ["-X", "-q", "-A", "-t", "-h", host, "-U", user, "-d", database, "-c",
                "SELECT pg_relation_size('\(table)') / current_setting('block_size')::int8"]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            counts[table] = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        return counts
    }

    /// The ctid predicate of partition `i` of `count` over `pages` pages (as the daemon writes it).
    func pagePredicate(_ i: Int, of count: Int, pages: Int) -> String {
        PartitionFilter(method: .pages, key: "", table: .init(relation: "t")).predicate(
            for: Partition(index: i, of: count), bounds: 0...Int64(pages), dialect: .postgresql
        ).replacingOccurrences(of: "t.ctid", with: "ctid")
    }

    func configuration(directory: String, partitions: Int, kind: Kind = .postgresql) -> String {
        var text = """
            [daemon]
            runtime_directory = "\(directory)/run"
            state_directory = "\(directory)/state"
            max_parallel_fetches = \(partitions * Self.tables.count)

            """
        for table in Self.tables {
            switch kind {
            case .postgresql, .pages:
                text += """

                    [[source]]
                    name = "\(table)"
                    namespace = "\(table)"
                    kind = "postgresql"
                    url = "postgresql://\(user)@/\(database)?host=\(host)"
                    query = "SELECT id, name FROM \(table) WHERE {partition_filter}"
                    partition_key = "id"
                    partitions = \(partitions)
                    \(kind == .pages ? "partition_table = \"\(table)\"" : "partition_by = \"hash\"")

                    """
            case .command:
                let predicate = partitions == 1 ? "TRUE" : "mod(hashtext((id)::text)::int8 + 2147483648, {partitions}) = {partition}"
                text += """

                    [[source]]
                    name = "\(table)"
                    namespace = "\(table)"
                    kind = "command"
                    command = ["\(psql)", "-X", "-q", "-h", "\(host)", "-U", "\(user)", "-d", "\(database)", "-c", "\\\\copy (SELECT id, name FROM \(table) WHERE \(predicate)) TO STDOUT"]
                    partitions = \(partitions)

                    """
            }
        }
        return text
    }

    /// Every table's partitions through psql at once; the seconds until the last ends.
    func psqlCopy(partitions: Int, pages: [String: Int]? = nil) throws -> Double {
        try Programs.runAtOnce(Self.tables.flatMap { table in
            (0..<partitions).map { i in
                (psql, [
                    "-X", "-q", "-h", host, "-U", user, "-d", database, "-c",
                    "\\copy (SELECT id, name FROM \(table) WHERE \(pages.map { pagePredicate(i, of: partitions, pages: $0[table] ?? 0) } ?? predicate(i, of: partitions))) TO '/dev/null'",
                ])
            }
        })
    }

    /// A fresh daemon (no snapshot) loading everything; its own load duration, READY time and peak RSS.
    func daemonLoad(partitions: Int, kind: Kind = .postgresql) async throws -> DaemonLoad {
        try await DaemonLoad.measure(
            directory: work + "/daemon", configuration: configuration(directory: work + "/daemon", partitions: partitions, kind: kind))
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        print("fetch benchmark: \(Self.tables.joined(separator: ", ")) over \(host); \(rounds) rounds of A (psql \\copy, hash predicates) B (nameindexd, postgresql kind, hash) C (psql \\copy, ctid ranges) D (nameindexd, pages) E (nameindexd, command kind running psql), medians")
        let pages = try pageCounts()
        for count in partitions.split(separator: ",").compactMap({ Int($0) }) {
            var copies: [Double] = []
            var loads: [DaemonLoad] = []
            var viaPsql: [DaemonLoad] = []
            var pageCopies: [Double] = []
            var pageLoads: [DaemonLoad] = []
            for _ in 0..<rounds {
                copies.append(try psqlCopy(partitions: count))
                loads.append(try await daemonLoad(partitions: count))
                pageCopies.append(try psqlCopy(partitions: count, pages: pages))
                pageLoads.append(try await daemonLoad(partitions: count, kind: .pages))
                viaPsql.append(try await daemonLoad(partitions: count, kind: .command))
            }
            let copy = Figures.median(copies)
            let load = Figures.median(loads.map(\.loadSeconds))
            let ready = Figures.median(loads.map(\.readySeconds))
            let last = loads.last!
            let peak = loads.map(\.peakRSS).max()!
            print(String(
                format: "partitions %d: psql \\copy %.2f s | nameindexd load %.2f s (%.1fM rows/s), READY after %.2f s | ratio %.2f× | peak RSS %@ = index %@ + %@",
                count, copy, load, Double(last.entries) / load / 1e6, ready, load / copy, Figures.mib(peak),
                Figures.mib(last.indexBytes), Figures.mib(peak - last.indexBytes)))
            print(String(format: "  client CPU %.0f ns/row (hash), %.0f ns/row (pages)",
                Figures.median(loads.map(\.cpuNanosecondsPerRow)), Figures.median(pageLoads.map(\.cpuNanosecondsPerRow))))
            let pageCopy = Figures.median(pageCopies)
            let pageLoad = Figures.median(pageLoads.map(\.loadSeconds))
            print(String(
                format: "  pages: psql \\copy by ctid ranges %.2f s | nameindexd pages %.2f s | ratio %.2f× (against the best psql figure %.2f s: %.2f×) | peak RSS %@",
                pageCopy, pageLoad, pageLoad / pageCopy, min(pageCopy, copy), pageLoad / min(pageCopy, copy),
                Figures.mib(pageLoads.map(\.peakRSS).max()!)))
            let command = Figures.median(viaPsql.map(\.loadSeconds))
            print(String(
                format: "  kind = \"command\" running psql \\copy: load %.2f s, ratio %.2f×, peak RSS %@",
                command, command / copy, Figures.mib(viaPsql.map(\.peakRSS).max()!)))
            print("  runs: psql " + copies.map { String(format: "%.2f", $0) }.joined(separator: " ")
                + " | postgresql " + loads.map { String(format: "%.2f", $0.loadSeconds) }.joined(separator: " ")
                + " | psql ctid " + pageCopies.map { String(format: "%.2f", $0) }.joined(separator: " ")
                + " | pages " + pageLoads.map { String(format: "%.2f", $0.loadSeconds) }.joined(separator: " ")
                + " | command " + viaPsql.map { String(format: "%.2f", $0.loadSeconds) }.joined(separator: " "))
        }
    }
}
