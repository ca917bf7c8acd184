import Foundation
import NameIndexProtocol
import Testing

@Suite struct SingleFlightReloadTests {
    /// Each fetch appends a line to its source's counter file. While the file 'gate' exists,
    /// users holds its fetch (after saying so in 'running') until the file 'go' appears.
    static let users = GatedCommand(holdWhile: "gate", countsRuns: true)
    static let configuration = users.toml + """
        [[source]]
        name = "teams"
        namespace = "team"
        kind = "command"
        command = ["sh", "-c", "echo run >> teams.runs; printf '7\\\\tRed\\\\n'"]
        """

    func runs(_ daemon: DaemonHarness, _ source: String) throws -> Int {
        try String(contentsOf: daemon.directory.appendingPathComponent("\(source).runs"), encoding: .utf8)
            .split(separator: "\n").count
    }

    func namectlProcess(_ daemon: DaemonHarness, _ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Products.namectl)
        process.arguments = ["--socket", daemon.socketPath] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    @Test func twoReloadsAtOnceStartOneFetchAndBothGetItsResult() async throws {
        let daemon = try DaemonHarness(configuration: Self.configuration)
        try await daemon.start()
        #expect(try runs(daemon, "users") == 1)
        // The first reload holds in its fetch; the second is sent while it does, and the
        // gate opens only once the second has had its first reply (it has joined).
        try daemon.write("gate", "")
        let (first, firstOut) = try namectlProcess(daemon, ["reload", "--wait"])
        try await daemon.waitForFile("running")
        let log = daemon.directory.appendingPathComponent("second.json").path
        let second = try spawnDetached(Products.namectl, ["--socket", daemon.socketPath, "reload", "--wait", "--json"], log: log)
        try await daemon.waitUntilNonEmpty(log)
        try daemon.write("go", "")
        let firstOutput = String(decoding: firstOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0 && reap(second) == 0)
        #expect(firstOutput.split(separator: "\n").last?.hasPrefix("Generation 2 serving 2 names") == true, "\(firstOutput)")
        let replies = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(IndexInterface.ReloadReply.self, from: Data($0.utf8))
        }
        #expect(replies.last?.generation == 2, "\(replies)")
        #expect(try runs(daemon, "users") == 2)
        #expect(try runs(daemon, "teams") == 2)
        #expect(try await daemon.client.status().generation == 2)
        try await daemon.stop()
    }

    @Test func aReloadOfOneSourceLeavesTheOthersAlone() async throws {
        let daemon = try DaemonHarness(configuration: Self.configuration)
        try await daemon.start()
        let reload = try daemon.namectl(["reload", "--wait", "teams"])
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(try runs(daemon, "teams") == 2)
        #expect(try runs(daemon, "users") == 1)
        let status = try await daemon.client.status()
        #expect(status.generation == 2)
        #expect(status.sources.map(\.state) == [.loaded, .loaded])
        #expect(try daemon.namectl(["get", "user", "1"]).stdout == "1\tZoë\n")
        let unknown = try daemon.namectl(["reload", "--wait", "nosuch"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("No source named 'nosuch'."), "\(unknown.stderr)")
        try await daemon.stop()
    }
}
