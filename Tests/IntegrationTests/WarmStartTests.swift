#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexCore
import NameIndexProtocol
import Systemd
import Testing

/// The snapshot file and warm start, with the real daemon.
@Suite struct WarmStartTests {
    static func configuration(refreshOnStart: Bool) -> String {
        "[daemon]\nrefresh_on_start = \(refreshOnStart)\n\n" + Fixture.configuration
    }

    /// Runs a daemon once so that it leaves a snapshot of generation 1, then changes a source file.
    static func daemonWithSnapshot(refreshOnStart: Bool) async throws -> DaemonHarness {
        let daemon = try DaemonHarness(configuration: configuration(refreshOnStart: refreshOnStart), files: Fixture.files)
        try await daemon.start()
        let status = try await daemon.client.status()
        #expect(status.snapshot?.generation == 1)
        #expect(status.snapshot?.path == daemon.snapshotPath)
        #expect(FileManager.default.fileExists(atPath: daemon.snapshotPath))
        #expect(try await daemon.stop() == 0)
        // The sources now say something else: a daemon that serves the old names serves the snapshot.
        try daemon.write("countries.tsv", "JP\tNippon\nFR\tFrance\n")
        return daemon
    }

    @Test func withoutRefreshTheSnapshotServesUntilAReload() async throws {
        let first = try await Self.daemonWithSnapshot(refreshOnStart: false)
        let second = try first.restarted()
        try await second.start()
        let status = try await second.client.status()
        #expect(status.servingSnapshot)
        #expect(status.generation == 1)
        #expect(status.entries == 6)
        #expect(status.sources.map(\.state) == [.loaded, .loaded, .loaded])
        #expect(status.sources[0].rows == 3)
        #expect(try second.namectl(["get", "country", "JP"]).stdout == "JP\t日本\n")
        #expect(second.log.contains("Serving snapshot of generation 1 from"))
        let text = try second.namectl(["status"]).stdout
        #expect(text.contains("serving the snapshot of generation 1"))
        #expect(text.contains("Snapshot: generation 1 from"))

        #expect(try second.namectl(["reload", "--wait"]).status == 0)
        #expect(try second.namectl(["get", "country", "JP", "FR"]).stdout == "JP\tNippon\nFR\tFrance\n")
        let after = try await second.client.status()
        #expect(!after.servingSnapshot)
        #expect(after.generation == 2)
        #expect(after.snapshot?.generation == 2)
        #expect(try SnapshotFile.metadata(path: second.snapshotPath).generation == 2)
        try await second.stop()
    }

    @Test func withRefreshTheSnapshotServesFirstThenTheFetch() async throws {
        let first = try await Self.daemonWithSnapshot(refreshOnStart: true)
        let second = try first.restarted()
        let receiver = try makeNotifyReceiver(in: second.directory)
        try await second.start(environment: ["NOTIFY_SOCKET": receiver.path])
        let messages = receiver.collect(timeout: .seconds(60)) { $0.contains("(generation 2)") }
        let ready = messages.filter { $0.contains("READY=1") }
        #expect(ready.first?.contains("STATUS=Serving snapshot of generation 1 from") == true, "\(messages)")
        #expect(ready.first?.contains("; refreshing…") == true)
        #expect(ready.last?.contains("Serving 6 names in 2 namespaces (generation 2)") == true, "\(messages)")
        #expect(try second.namectl(["get", "country", "FR"]).stdout == "FR\tFrance\n")
        try await second.stop()
    }

    enum Damage: String, CaseIterable {
        case truncated, flippedByte, wrongVersion, formatVersion1, changedConfiguration, notASnapshot
    }

    @Test(arguments: Damage.allCases)
    func aDamagedSnapshotIsReportedAndTheDaemonFetches(_ damage: Damage) async throws {
        let first = try await Self.daemonWithSnapshot(refreshOnStart: false)
        let second = try first.restarted()
        let url = URL(fileURLWithPath: second.snapshotPath)
        var data = try Data(contentsOf: url)
        switch damage {
        case .truncated: data = data.prefix(data.count - 100)
        case .flippedByte: data[data.count - 10] ^= 0x20
        case .wrongVersion: data[8] = 99
        // What a daemon from before overlays left behind (version 1 had no role, watermark or
        // flags in the directory, zero there as here).
        case .formatVersion1: data[8] = 1
        case .notASnapshot: data = Data("hello".utf8)
        case .changedConfiguration:
            try second.write("nameindexd.toml", Self.configuration(refreshOnStart: false).replacingOccurrences(of: "header = true", with: "header = false"))
        }
        try data.write(to: url)
        try await second.start()
        let status = try await second.client.status()
        #expect(!status.servingSnapshot)
        #expect(status.generation == 1)
        let error = try #require(status.snapshotError)
        #expect(error.hasPrefix("Ignored \(second.snapshotPath): "), "\(error)")
        #expect(second.log.contains("Ignoring snapshot \(second.snapshotPath): "))
        if damage == .formatVersion1 { #expect(error.contains("format version 1 is not supported (expected 2)"), "\(error)") }
        // Fetched from the changed source, not from the snapshot.
        #expect(try second.namectl(["get", "country", "JP"]).stdout == "JP\tNippon\n")
        // And a good snapshot replaced the damaged one.
        #expect(try SnapshotFile.metadata(path: second.snapshotPath).generation == 1)
        try await second.stop()
    }

    @Test func lookupsDuringRepeatedReloadsAlwaysSeeOneGeneration() async throws {
        func file(_ version: Int) -> String { (0..<200).map { "\($0)\tv\(version)" }.joined(separator: "\n") + "\n" }
        let daemon = try DaemonHarness(
            configuration: "[[source]]\nname = \"s\"\nnamespace = \"n\"\nkind = \"file\"\npath = \"s.tsv\"\n",
            files: ["s.tsv": file(0)])
        try await daemon.start()
        let client = daemon.client
        let source = daemon.directory.appendingPathComponent("s.tsv")
        let keys = (0..<200).map(String.init)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for version in 1...15 {
                    try file(version).write(to: source, atomically: true, encoding: .utf8)
                    _ = try await client.reload()
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<150 {
                        let reply = try await client.lookup(namespace: "n", keys: keys)
                        #expect(Set(reply.names).count == 1, "one batch mixed generations: \(Set(reply.names))")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await client.status().generation == 16)
        try await daemon.stop()
    }
}
