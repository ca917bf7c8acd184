import Foundation
import Testing

/// `namectl metrics` (the varlink method `Metrics`), read by the `prometheus_client` Python
/// parser: every line parses, the naming rules hold, and every metric the docs list is there.
@Suite struct MetricsTests {
    /// The metrics nameindexd(8) lists, by family, with their type.
    static let documented: [(name: String, type: String)] = [
        ("nameindex_build_info", "gauge"), ("nameindex_generation", "gauge"),
        ("nameindex_generation_timestamp_seconds", "gauge"), ("nameindex_entries", "gauge"), ("nameindex_index_bytes", "gauge"),
        ("nameindex_namespace_entries", "gauge"), ("nameindex_namespace_bytes", "gauge"), ("nameindex_lookups", "counter"),
        ("nameindex_source_rows", "gauge"), ("nameindex_source_bytes", "gauge"), ("nameindex_source_shadowed", "gauge"),
        ("nameindex_source_last_success_timestamp_seconds", "gauge"), ("nameindex_source_state", "gauge"),
        ("nameindex_source_skipped_rows", "counter"), ("nameindex_source_failures", "counter"),
        ("nameindex_source_fetch_duration_seconds", "histogram"), ("nameindex_reload_in_progress", "gauge"),
        ("nameindex_reload_progress_ratio", "gauge"), ("nameindex_reloads", "counter"), ("nameindex_snapshot_age_seconds", "gauge"),
        ("nameindex_snapshot_bytes", "gauge"), ("nameindex_snapshot_write_duration_seconds", "histogram"),
        ("nameindex_lookup_connections", "gauge"), ("nameindex_control_connections", "gauge"),
        ("nameindex_lookup_connections_refused", "counter"), ("nameindex_control_connections_refused", "counter"),
        ("nameindex_missed_keys", "gauge"),
    ]

    /// The samples of `text` as the parser read them: "type name labels value" lines.
    func parsed(_ text: String) throws -> [String] {
        let script = Products.packageRoot.appendingPathComponent("Tests/IntegrationTests/Scripts/metrics_check.py").path
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID())")
        try text.write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let result = try runProgram("/bin/sh", ["-c", "python3 \"$0\" < \"$1\"", script, input.path])
        #expect(result.status == 0, "metrics_check.py: \(result.stderr)\n\(text)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test func everyDocumentedMetricParsesWithItsType() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        // A lookup that hits and one that misses, and a snapshot written.
        _ = try daemon.namectl(["get", "user", "42"])
        let deadline = ContinuousClock.now + .seconds(60)
        while try await daemon.client.status().snapshot == nil && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let socket = daemon.runtimeDirectory + "/lookup"
        _ = try spawnAndWait("/usr/bin/redis-cli", ["-s", socket, "HMGET", "user", "42", "no-such-key"])
        let result = try daemon.namectl(["metrics"])
        #expect(result.status == 0, "\(result.stderr)")
        let samples = try parsed(result.stdout)
        for (name, type) in Self.documented {
            #expect(samples.contains { $0.hasPrefix("\(type) \(name)") }, "\(name) (\(type)) is exported")
        }
        func value(_ prefix: String) -> Double? {
            samples.first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(value("gauge nameindex_generation ") == 1)
        #expect(value("gauge nameindex_build_info version=") == 1)
        #expect(value("gauge nameindex_source_rows kind=file,namespace=user,source=employees ") == 3)
        #expect(value("gauge nameindex_source_state source=employees,state=loaded ") == 1)
        #expect(value("gauge nameindex_source_state source=employees,state=stale ") == 0)
        #expect(value("counter nameindex_lookups_total namespace=user,result=hit ") == 1)
        #expect(value("counter nameindex_lookups_total namespace=user,result=miss ") == 1)
        // The employees file has a row with no key and a line without a name.
        #expect(value("counter nameindex_source_skipped_rows_total reason=empty,source=employees ") == 1)
        #expect(value("counter nameindex_source_skipped_rows_total reason=malformed,source=employees ") == 1)
        #expect(value("counter nameindex_reloads_total kind=full,outcome=success,trigger=start ") == 1)
        #expect(value("histogram nameindex_source_fetch_duration_seconds_count source=employees ") == 1)
        #expect(value("histogram nameindex_snapshot_write_duration_seconds_count ") == 1)
        #expect(value("gauge nameindex_control_connections ") ?? 0 >= 1, "this very call's connection")
        // No key is ever a label.
        #expect(!result.stdout.contains("42\""), "a key in a label")
        // A reload asked on the control socket counts as one.
        #expect(try daemon.namectl(["reload", "--wait"]).status == 0)
        let after = try parsed(try daemon.namectl(["metrics"]).stdout)
        func valueAfter(_ prefix: String) -> Double? {
            after.first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(valueAfter("counter nameindex_reloads_total kind=full,outcome=success,trigger=control ") == 1)
        #expect(valueAfter("histogram nameindex_source_fetch_duration_seconds_count source=employees ") == 2)
        try await daemon.stop()
    }

    @Test func theTextfileIsRewrittenWholeEveryInterval() async throws {
        let configuration = """
            [daemon]
            metrics_textfile = "/tmp/nameindex-metrics-\(UUID().uuidString.prefix(8)).prom"
            metrics_interval = "50ms"

            """
        let daemon = try DaemonHarness(configuration: configuration + Fixture.configuration, files: Fixture.files)
        let path = String(configuration.split(separator: "\"")[1])
        defer { unlink(path) }
        try await daemon.start()
        // Read it while it is rewritten: every read is a whole file, with the families of both
        // halves (the state's, then the events'; each half in no fixed order).
        let families = [
            "nameindex_build_info", "nameindex_generation", "nameindex_source_state", "nameindex_lookup_connections",
            "nameindex_reloads_total", "nameindex_source_skipped_rows_total", "nameindex_source_failures_total",
        ]
        var reads = 0
        var generations: Set<String> = []
        let deadline = ContinuousClock.now + .seconds(60)
        // The first file may be from before the first load ended (no reload counted yet): wait for a later one.
        while (try? String(contentsOfFile: path, encoding: .utf8))?.contains("# TYPE nameindex_reloads_total ") != true
            && ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(5))
        }
        while (reads < 200 || generations.count < 2) && ContinuousClock.now < deadline {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            reads += 1
            #expect(text.hasSuffix("\n"), "a whole file")
            for family in families { #expect(text.contains("# TYPE \(family) "), "\(family) in read \(reads)") }
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("nameindex_generation ") }) { generations.insert(String(line)) }
            if reads == 100 { _ = try daemon.namectl(["reload", "--wait"]) }
        }
        #expect(reads >= 200)
        #expect(generations.count >= 2, "the file follows the daemon: \(generations)")
        let samples = try parsed(try String(contentsOfFile: path, encoding: .utf8))
        #expect(samples.contains { $0.hasPrefix("gauge nameindex_build_info") })
        try await daemon.stop()
    }

    @Test func aTextfileMustEndInProm() throws {
        let daemon = try DaemonHarness(configuration: "[daemon]\nmetrics_textfile = \"/tmp/x.txt\"\n" + Fixture.configuration, files: Fixture.files)
        let result = try runProgram(Products.nameindexd, ["--config", daemon.configurationPath, "--check-config"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("expected a file name ending in .prom"), "\(result.stderr)")
    }

    @Test func theHTTPListenerServesGetMetricsOnly() async throws {
        let daemon = try DaemonHarness(
            configuration: "[daemon]\nmetrics_listen = \"127.0.0.1:0\"\n" + Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        // Port 0: the journal says which port it took.
        var url = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while url.isEmpty && ContinuousClock.now < deadline {
            if let line = daemon.log.split(separator: "\n").first(where: { $0.contains("Serving metrics on http://") }),
                let start = line.range(of: "http://"), let end = line.range(of: "/metrics", range: start.upperBound..<line.endIndex)
            {
                url = String(line[start.lowerBound..<end.upperBound])
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(!url.isEmpty, "\(daemon.log)")
        let got = try runProgram("/usr/bin/curl", ["-sS", "-D", "-", url])
        #expect(got.status == 0, "\(got.stderr)")
        #expect(got.stdout.hasPrefix("HTTP/1.1 200 OK"), "\(got.stdout.prefix(200))")
        #expect(got.stdout.lowercased().contains("content-type: text/plain; version=0.0.4"))
        let body = got.stdout.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        #expect(try parsed(body).contains { $0.hasPrefix("gauge nameindex_generation ") })
        let code = { (arguments: [String]) in try runProgram("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + arguments).stdout }
        #expect(try code([url.replacingOccurrences(of: "/metrics", with: "/")]) == "404")
        #expect(try code(["-X", "POST", url]) == "405")
        #expect(try code(["-I", url]) == "200")
        try await daemon.stop()
    }
}

/// examples/grafana-dashboard.json names only metrics the daemon exports, and its queries ask
/// for the types they have (a rate of a counter, a quantile of a histogram's buckets).
@Suite struct DashboardTests {
    static func metricNames(in expression: String) -> [String] {
        let pattern = try! Regex("nameindex_[a-z_]+")
        return expression.matches(of: pattern).map { String(expression[$0.range]) }
    }

    @Test func theDashboardNamesOnlyExportedMetrics() throws {
        let url = Products.packageRoot.appendingPathComponent("examples/grafana-dashboard.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        #expect(json["title"] as? String == "nameindex")
        let panels = try #require(json["panels"] as? [[String: Any]])
        var expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        expressions += (json["__alerts"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
        let alerts = try String(contentsOf: Products.packageRoot.appendingPathComponent("examples/prometheus-alerts.yml"), encoding: .utf8)
        expressions += alerts.split(separator: "\n").filter { $0.contains("expr:") }.map(String.init)
        // The families the daemon exports (MetricsTests checks each is in `namectl metrics`), as
        // a query names them: counters with _total, histograms by their series.
        var exported: Set<String> = ["nameindex_source_reload_interval_seconds"]
        for (name, type) in MetricsTests.documented {
            switch type {
            case "counter": exported.insert(name + "_total")
            case "histogram": for suffix in ["_bucket", "_count", "_sum"] { exported.insert(name + suffix) }
            default: exported.insert(name)
            }
        }
        var named: Set<String> = []
        for expression in expressions { named.formUnion(Self.metricNames(in: expression)) }
        #expect(named.count >= 7, "\(named)")
        #expect(named.isSubset(of: exported), "not exported: \(named.subtracting(exported).sorted())")
        // The panels the issue asks for.
        let titles = panels.compactMap { $0["title"] as? String }
        for wanted in ["Entries per namespace", "Hit ratio", "Reloads by outcome (per hour)", "Source freshness", "Snapshot age"] {
            #expect(titles.contains(wanted), "panel \(wanted)")
        }
        #expect(titles.contains { $0.hasPrefix("Fetch duration") })
    }

    @Test func theReloadIntervalIsExportedForTheAlert() async throws {
        let configuration = Fixture.configuration.replacingOccurrences(
            of: "name = \"employees\"\n", with: "name = \"employees\"\nreload_interval = \"1h\"\n")
        let daemon = try DaemonHarness(configuration: configuration, files: Fixture.files)
        try await daemon.start()
        let text = try daemon.namectl(["metrics"]).stdout
        #expect(text.contains("nameindex_source_reload_interval_seconds{source=\"employees\"} 3600.0"), "\(text)")
        #expect(!text.contains("nameindex_source_reload_interval_seconds{source=\"countries\"}"))
        try await daemon.stop()
    }
}
