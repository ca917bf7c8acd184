#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexCore
import NameIndexProtocol
import NameIndexSources
import Testing

/// The `command` kind against a real HiveServer2 (Spark's Thrift server) through a real
/// beeline, with the README's recipe: rows as one JSON column, beeline's prompt dropped.
@Suite(.serialized) struct WarehouseTests {
    let server: SparkThriftServer

    init() async throws { server = try await SparkThriftServer.get() }

    func recipe(_ query: String, url: String? = nil, format: RowFormat = RowFormat(format: .ndjson)) -> CommandSource {
        var source = CommandSource(name: "wh", namespace: "n", arguments: server.command(query, url: url), rows: format)
        source.dropPrefix = SparkThriftServer.prompt
        return source
    }

    @Test(arguments: [1, 3, 8])
    func everyRowExactlyOnce(partitions: Int) async throws {
        let source = recipe(SparkThriftServer.jsonQuery(partitioned: partitions > 1))
        let fetched = try await fetchAll(source, partitions: partitions)
        let sorted = fetched.rows.sorted { $0.lexicographicallyPrecedes($1) }
        let expected = SparkThriftServer.expectedRows
        #expect(sorted.count == expected.count)
        #expect(sorted == expected, "first difference: \(zip(sorted, expected).first { $0 != $1 }.map { "\($0)" } ?? "-")")
        #expect(fetched.skipped == SparkThriftServer.expectedSkips)
        #expect(fetched.skipped.null == 20 + 200, "NULL ids (every 1000th) and NULL names (every 100th), counted as NULL")
    }

    @Test func sparkSQLReadsTheSameRowsByItsOwnPath() async throws {
        // The spark-sql recipe, which is also a second path to the data: Spark's own CLI reads
        // the table's Parquet files without the Thrift server, and prints no prompt.
        let work = server.directory + "/spark-sql"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let query = "SELECT to_json(named_struct('id', id, 'name', name)) FROM parquet.`\(server.directory)/warehouse/wh_names`"
        let source = CommandSource(
            name: "wh", namespace: "n",
            arguments: [server.sparkHome + "/bin/spark-sql", "--master", "local[2]", "--conf", "spark.ui.enabled=false",
                        "--conf", "spark.sql.warehouse.dir=\(work)/warehouse", "--driver-java-options", "-Dderby.system.home=\(work)",
                        "-S", "-e", query],
            rows: RowFormat(format: .ndjson), workingDirectory: work)
        let fetched = try await fetchAll(source, partitions: 1)
        #expect(fetched.rows.sorted { $0.lexicographicallyPrecedes($1) } == SparkThriftServer.expectedRows)
        #expect(fetched.skipped == SparkThriftServer.expectedSkips)
    }

    @Test func theTSVRecipeOfOldLosesNothingSilently() async throws {
        // What the seed's recipe did: tsv2 with its prompt and NULLs as the text NULL. With
        // null_value and without drop_prefix, the prompt is reported and never becomes a key.
        let source = CommandSource(
            name: "wh", namespace: "n",
            arguments: server.command("SELECT id, name FROM wh_names WHERE id < 300 AND id % 10 IN (0, 6, 7, 9) ORDER BY id"),
            rows: RowFormat(nullValue: "NULL"))
        let (rows, skipped, notices) = try await fetchAll(source, partitions: 1)
        let ids = (0..<300).filter { [0, 6, 7, 9].contains($0 % 10) }
        let loadable = ids.filter { id in SparkThriftServer.expectedName(id).map { !$0.isEmpty && $0 != "NULL" } ?? false }
        // The first row (id 0) carries the prompt: skipped as malformed and reported.
        #expect(rows == loadable.dropFirst().map { ["\($0)", SparkThriftServer.expectedName($0)!] })
        #expect(!rows.contains { $0[0].contains("jdbc:") })
        #expect(skipped.malformed == 1)
        #expect(skipped.null == ids.count - loadable.count, "NULL names, and the names 'NULL' (beeline prints both alike)")
        #expect(notices.count == 1)
        #expect(notices.first?.contains("drop_prefix") == true)
    }

    @Test func csvWithQuotingKeepsTabsQuotesAndBackslashesButBeelineDropsLineBreaks() async throws {
        // beeline's csv2 quotes only with -Ddisable.quoting.for.sv=false (Spark's beeline reads
        // it from SPARK_BEELINE_OPTS); even then it removes CR and LF from every value.
        let query = "SELECT id, name FROM wh_names WHERE id < 100 AND id % 100 NOT IN (7, 8, 9)"
        let source = CommandSource(
            name: "wh", namespace: "n",
            arguments: ["/usr/bin/env", "SPARK_BEELINE_OPTS=-Ddisable.quoting.for.sv=false", server.beeline, "-u", server.url,
                        "--silent=true", "--outputformat=csv2", "--showHeader=false", "-e", query],
            rows: RowFormat(format: .csv, nullValue: "NULL"))
        var withPrefix = source
        withPrefix.dropPrefix = SparkThriftServer.prompt
        let fetched = try await fetchAll(withPrefix, partitions: 1)
        let got = Dictionary(uniqueKeysWithValues: fetched.rows.map { ($0[0], $0[1]) })
        for id in (0..<100) where ![7, 8, 9].contains(id % 100) {
            let name = SparkThriftServer.expectedName(id)!
            let printed = name.filter { $0 != "\n" && $0 != "\r" && $0 != "\r\n" }
            #expect(got["\(id)"] == printed, "id \(id)")
        }
        #expect(got.count == 97)
    }

    @Test func aServerThatCannotBeReachedFailsWithBeelinesOwnError() async throws {
        let port = try freeLocalPort()
        let source = recipe("SELECT 1", url: "jdbc:hive2://127.0.0.1:\(port)/default")
        let error = await #expect(throws: SourceError.self) { try await fetchAll(source, partitions: 1) }
        #expect(error?.message.contains("Could not open connection to the HS2 server") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("Connection refused") == true)
    }

    @Test func aQueryErrorFailsWithTheServersMessage() async throws {
        let source = recipe("SELECT to_json(named_struct('id', id, 'name', name)) FROM wh_missing_table")
        let error = await #expect(throws: SourceError.self) { try await fetchAll(source, partitions: 1) }
        #expect(error?.message.contains("TABLE_OR_VIEW_NOT_FOUND") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\tat ") == false, "no Java stack frames")
    }

    @Test func theCheckCommandReadsTheValueWithoutThePrompt() async throws {
        var source = recipe(SparkThriftServer.jsonQuery(partitioned: false))
        source.checkCommand = server.command("SELECT max(v) FROM wh_version")
        let before = try await source.changeToken()
        #expect(before.map { Int($0) != nil } == true, "\(before ?? "nil")")
        try await server.sql("INSERT INTO wh_version SELECT max(v) + 1 FROM wh_version")
        let after = try await source.changeToken()
        #expect(after.flatMap { Int($0) } == before.flatMap { Int($0) }.map { $0 + 1 })
    }
}

/// The daemon against the same server: Status counts, a partition cut mid-stream, and a
/// check through beeline.
@Suite(.serialized) struct WarehouseDaemonTests {
    let server: SparkThriftServer

    init() async throws { server = try await SparkThriftServer.get() }

    static func toml(_ strings: [String]) -> String {
        "[" + strings.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ", ") + "]"
    }

    @Test func aPartitionWhoseConnectionIsCutIsFetchedAgainWithoutItsPartialRows() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-proxy-\(UUID())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let port = try freeLocalPort()
        let script = Products.packageRoot.appendingPathComponent("Tests/IntegrationTests/Scripts/cutting-proxy.py").path
        let proxy = try spawnDetached(
            "/usr/bin/env", ["python3", script, "\(port)", "\(server.port)", "100000", work + "/proxy"], log: work + "/proxy.log")
        defer {
            kill(proxy, SIGKILL)
            _ = reap(proxy)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? String(contentsOfFile: work + "/proxy", encoding: .utf8)) == nil {
            guard ContinuousClock.now < deadline else { throw SpawnError(message: "the proxy did not start") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let command = server.command(
            SparkThriftServer.jsonQuery(partitioned: true), url: "jdbc:hive2://127.0.0.1:\(port)/default")
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "names"
            namespace = "n"
            kind = "command"
            command = \(Self.toml(command))
            format = "ndjson"
            drop_prefix = '\(SparkThriftServer.prompt)'
            partitions = 2
            retries = 2
            retry_delay = "100ms"
            stall_timeout = "2min"
            """)
        try daemon.launch()
        try await daemon.waitUntilLoaded(within: .seconds(600))
        let status = try await daemon.client.status()
        let source = try #require(status.sources.first)
        #expect(source.state == .loaded, "\(source.lastError ?? "")")
        #expect((try? String(contentsOfFile: work + "/proxy", encoding: .utf8))?.contains("cut") == true, "the proxy cut a stream")
        let expected = SparkThriftServer.expectedRows
        #expect(source.rows == expected.count)
        #expect(source.duplicates == 0, "the cut attempt's rows were dropped, not joined to the retry's")
        #expect(source.skippedNull == SparkThriftServer.expectedSkips.null)
        #expect(source.skippedEmpty == SparkThriftServer.expectedSkips.empty)
        #expect(daemon.log.contains("attempt"), "the retry is in the journal")
        let reply = try await daemon.client.lookup(namespace: "n", keys: expected.map { $0[0] })
        #expect(reply.names == expected.map { $0[1] })
        _ = try await daemon.stop()
    }

    /// Waits until `count` more change checks of the first source are done; their status.
    func afterChecks(_ daemon: DaemonHarness, _ count: Int) async throws -> IndexInterface.StatusReply {
        var seen: Set<UInt64> = []
        var status = try await daemon.client.status()
        // A bound for a daemon that stopped checking; each check is a beeline run of seconds.
        let deadline = ContinuousClock.now + .seconds(600)
        while seen.count <= count && ContinuousClock.now < deadline {
            status = try await daemon.client.status()
            if let at = status.sources[0].lastCheckUSec { seen.insert(at) }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(seen.count > count, "only \(seen.count) checks seen")
        return status
    }

    @Test func aCheckThroughBeelineReloadsOnlyWhenTheValueChanges() async throws {
        try await server.sql("CREATE TABLE IF NOT EXISTS wh_check (v BIGINT) USING parquet; INSERT INTO wh_check VALUES (1)")
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "names"
            namespace = "n"
            kind = "command"
            command = \(Self.toml(server.command("SELECT to_json(named_struct('id', id, 'name', name)) FROM wh_names WHERE id < 50")))
            format = "ndjson"
            drop_prefix = '\(SparkThriftServer.prompt)'
            check_command = \(Self.toml(server.command("SELECT max(v) FROM wh_check")))
            check_interval = "1s"
            """)
        try daemon.launch()
        try await daemon.waitUntilLoaded(within: .seconds(600))
        var status = try await afterChecks(daemon, 2)
        #expect(status.generation == 1, "an unchanged value fetches nothing")
        #expect(status.sources[0].lastCheckValue == "1", "the value, without beeline's prompt")
        #expect(status.sources[0].lastCheckError == nil)
        try await server.sql("INSERT INTO wh_check VALUES (2)")
        let deadline = ContinuousClock.now + .seconds(600)
        while try await daemon.client.status().generation < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        status = try await afterChecks(daemon, 2)
        #expect(status.generation == 2, "one fetch for one change")
        #expect(status.sources[0].lastCheckValue == "2")
        _ = try await daemon.stop()
    }

    @Test func theExampleConfigurationsRecipeLoadsExactly() async throws {
        // The example's [[source]] "users", as written, against this server: only the URL,
        // the path of beeline and the row-count guard (sized for a real table) differ.
        try await server.sql(
            "CREATE OR REPLACE VIEW dim_users AS SELECT id, name AS display_name, '2026-12-01' AS ds FROM wh_names")
        let example = try String(
            contentsOf: Products.packageRoot.appendingPathComponent("examples/nameindexd.toml"), encoding: .utf8)
        let start = try #require(example.range(of: "[[source]]\nname = \"users\""))
        let end = example.range(of: "\n\n", range: start.upperBound..<example.endIndex)?.lowerBound ?? example.endIndex
        let block = example[start.lowerBound..<end].split(separator: "\n")
            .filter { !$0.hasPrefix("min_rows") && !$0.hasPrefix("max_shrink") }
            .joined(separator: "\n")
            .replacingOccurrences(of: "jdbc:hive2://warehouse.example:10000/default", with: server.url)
            .replacingOccurrences(of: "[\"beeline\"", with: "[\"\(server.beeline)\"")
        #expect(block.contains("drop_prefix") && block.contains("partitions = 8"))
        let daemon = try DaemonHarness(configuration: block + "\n")
        try daemon.launch()
        try await daemon.waitUntilLoaded(within: .seconds(600))
        let source = try #require(try await daemon.client.status().sources.first)
        #expect(source.state == .loaded, "\(source.lastError ?? "")")
        let expected = SparkThriftServer.expectedRows
        #expect(source.rows == expected.count)
        #expect(source.skippedNull == SparkThriftServer.expectedSkips.null)
        #expect(source.skippedMalformed == 0)
        let reply = try await daemon.client.lookup(namespace: "user", keys: expected.map { $0[0] })
        #expect(reply.names == expected.map { $0[1] })
        _ = try await daemon.stop()
    }
}
