import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

/// `namectl misses` and `namectl explain` (the varlink methods `Misses` and `Explain`) against
/// a running daemon, looked up through redis-cli.
@Suite struct InspectionTests {
    /// Sends `commands`, one per line, through redis-cli on the daemon's lookup socket.
    func send(_ daemon: DaemonHarness, _ commands: [String]) throws {
        let input = daemon.directory.appendingPathComponent("commands-\(UUID()).txt")
        try (commands.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let result = try runProgram("/bin/sh", ["-c", "/usr/bin/redis-cli -s \"$0\" > /dev/null < \"$1\"", daemon.runtimeDirectory + "/lookup", input.path])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func aScriptedStreamOfMissesComesBackWithinTheAlgorithmsBound() async throws {
        let daemon = try DaemonHarness(
            configuration: "[daemon]\nmiss_sample = 20\n\n" + Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        var truth: [String: Int] = [:]
        var commands: [String] = []
        for (key, count) in [("heavy-1", 300), ("heavy-2", 200), ("heavy-3", 100)] {
            truth[key] = count
            commands += Array(repeating: "HGET user \(key)", count: count)
        }
        for i in 0..<600 {
            truth["single-\(i)"] = 1
            commands.append("HGET user single-\(i)")
        }
        // Hits are not misses; HMGET and HEXISTS count their misses too.
        commands += Array(repeating: "HGET user 42", count: 50)
        // A fixed order (the sample's result depends on it), led by a heavy key.
        var random = SeededGenerator(state: 17)
        commands.shuffle(using: &random)
        commands.insert("HGET user heavy-1", at: 0)
        truth["heavy-1", default: 0] += 1
        commands += ["HMGET user heavy-1 42 heavy-1", "HEXISTS user heavy-2"]
        truth["heavy-1", default: 0] += 2
        truth["heavy-2", default: 0] += 1
        try send(daemon, commands)

        let reply = try await daemon.client.misses(namespace: "user")
        let total = truth.values.reduce(0, +)
        #expect(reply.capacity == 20)
        #expect(reply.misses == total)
        #expect(abs(reply.distinct - truth.count) <= truth.count / 10, "\(reply.distinct) of \(truth.count)")
        #expect(reply.keys.count == 20)
        #expect(reply.keys.prefix(3).map(\.key) == ["heavy-1", "heavy-2", "heavy-3"])
        for key in reply.keys {
            let exact = truth[key.key] ?? 0
            #expect(key.count >= exact && key.count - key.error <= exact, "\(key) against \(exact)")
            #expect(key.firstSeenUSec <= key.lastSeenUSec && key.firstSeenUSec >= reply.sinceUSec)
        }
        #expect(reply.keys[0].count == 303 && reply.keys[0].error == 0, "a key held from its first miss has an exact count")

        // The table, and a limit.
        let table = try daemon.namectl(["misses", "user", "--limit", "2"])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.count >= 3 && lines[0].hasPrefix("KEY") && lines[1].hasPrefix("heavy-1") && lines[2].hasPrefix("heavy-2"), "\(table.stdout)")
        #expect(table.stdout.contains("misses of about"), "\(table.stdout)")
        #expect(try daemon.namectl(["misses", "nowhere"]).status != 0)

        // Metrics: the estimated distinct keys.
        let metrics = try daemon.namectl(["metrics"]).stdout
        #expect(metrics.contains("nameindex_missed_keys{namespace=\"user\"}"), "\(metrics)")

        // A key the index now answers is left out; a full reload resets the sample.
        try daemon.write("contractors.tsv", "2001\tMateo Fernández\n1001\tAna (contractor)\nheavy-1\tnow here\n")
        #expect(try daemon.namectl(["reload", "--wait"]).status == 0)
        let after = try await daemon.client.misses(namespace: "user")
        #expect(after.misses == 0 && after.keys.isEmpty && after.sinceUSec > reply.sinceUSec, "\(after)")
        try await daemon.stop()
    }

    @Test func samplingCanBeTurnedOff() async throws {
        let daemon = try DaemonHarness(
            configuration: "[daemon]\nmiss_sample = 0\n\n" + Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        try send(daemon, ["HGET user nope", "HMGET user nope nope"])
        let reply = try await daemon.client.misses(namespace: "user")
        #expect(reply.capacity == 0 && reply.keys.isEmpty && reply.misses == 0)
        #expect(try daemon.namectl(["misses", "user"]).stdout.contains("not sampled"))
        // The lookups are still counted.
        #expect(try await daemon.client.status().namespaces.first { $0.name == "user" }?.lookups == 3)
        try await daemon.stop()
    }
}

