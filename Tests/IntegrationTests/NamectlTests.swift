import Foundation
import NameIndexProtocol
import Testing

/// The real namectl binary against the real nameindexd binary.
@Suite struct NamectlTests {
    @Test func getPrintsKeyTabNameAndExitsTwoOnAMiss() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()

        let found = try daemon.namectl(["get", "user", "42", "1022", "2001"])
        #expect(found.status == 0)
        #expect(found.stdout == "42\tZoë Martin\n1022\t王小明\n2001\tMateo Fernández\n")

        let partly = try daemon.namectl(["get", "user", "42", "9999"])
        #expect(partly.status == 2)
        #expect(partly.stdout == "42\tZoë Martin\n")

        // The first-listed source wins a conflict.
        #expect(try daemon.namectl(["get", "user", "1001"]).stdout == "1001\tAna Souza\n")

        let unknown = try daemon.namectl(["get", "team", "1"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "No such namespace 'team'.\n")
        #expect(unknown.stdout.isEmpty)
        try await daemon.stop()
    }

    @Test func getDashReadsKeysFromStandardInputInBatches() async throws {
        // 25,003 keys: three batches of 10,000 and less, found and missing, CRLF and blank lines.
        var rows = ""
        for i in 1...20_000 { rows += "\(i)\tname \(i)\n" }
        let daemon = try DaemonHarness(
            configuration: "[[source]]\nname = \"n\"\nnamespace = \"n\"\nkind = \"file\"\npath = \"n.tsv\"\n", files: ["n.tsv": rows])
        try await daemon.start()
        var input = ""
        var expected = ""
        for i in stride(from: 25_000, through: 1, by: -1) {
            input += i % 1000 == 0 ? "\(i)\r\n" : "\(i)\n"
            if i <= 20_000 { expected += "\(i)\tname \(i)\n" }
            if i % 5000 == 0 { input += "\n" }
        }
        input += "x-missing\n1\n2"  // no line end at the end
        expected += "1\tname 1\n2\tname 2\n"
        try daemon.write("keys.txt", input)
        let result = try runProgram(
            "/bin/sh", ["-c", "\"$0\" --socket \"$1\" get n - < \"$2\"", Products.namectl, daemon.socketPath,
                        daemon.directory.appendingPathComponent("keys.txt").path])
        #expect(result.status == 2, "a key was missing: \(result.stderr)")
        #expect(result.stdout == expected)
        let all = try runProgram("/bin/sh", ["-c", "printf '1\\n2\\n' | \"$0\" --socket \"$1\" get n -", Products.namectl, daemon.socketPath])
        #expect(all.status == 0 && all.stdout == "1\tname 1\n2\tname 2\n", "\(all.stdout)\(all.stderr)")
        #expect(try daemon.namectl(["--json", "get", "n", "-"]).status != 0)
        try await daemon.stop()
    }

    @Test func jsonOutputParses() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()

        let get = try daemon.namectl(["get", "--json", "user", "42", "nope"])
        #expect(get.status == 2)
        let object = try JSONDecoder().decode(JSONValue.self, from: Data(get.stdout.utf8))
        #expect(object["results"] == .array([
            .object(["key": .string("42"), "name": .string("Zoë Martin")]),
            .object(["key": .string("nope"), "name": .null]),
        ]))
        #expect(object["namespace"] == .string("user"))

        let status = try daemon.namectl(["status", "--json"])
        #expect(status.status == 0)
        let reply = try JSONDecoder().decode(IndexInterface.StatusReply.self, from: Data(status.stdout.utf8))
        #expect(reply.state == .serving)
        #expect(reply.generation == 1)
        #expect(reply.entries == 6)
        #expect(reply.sources.map(\.name) == ["employees", "contractors", "countries"])
        let employees = reply.sources[0]
        #expect(employees.rows == 3)
        #expect(employees.skippedEmpty == 1)
        #expect(employees.skippedMalformed == 1)
        #expect(reply.sources[1].shadowed == 1)
        // The last fetch of each source, as the progress board saw it.
        #expect(reply.sources.map { $0.fetch?.state } == [.done, .done, .done])
        #expect(reply.sources[0].fetch?.rows == 5)  // 3 loaded + 2 skipped
        #expect(reply.sources[0].fetch?.attempt == 1)

        let namespaces = try daemon.namectl(["namespaces", "--json"])
        let list = try JSONDecoder().decode(IndexInterface.ListNamespacesReply.self, from: Data(namespaces.stdout.utf8))
        #expect(list.namespaces == [.init(name: "country", entries: 2), .init(name: "user", entries: 4)])
        try await daemon.stop()
    }

    @Test func statusIsTheDefaultVerbAndReadsLikeSystemctl() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        let result = try daemon.namectl([])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("● nameindexd - serving\n"))
        #expect(result.stdout.contains("Entries: 6 in 2 namespaces"))
        #expect(result.stdout.contains("SOURCE"))
        #expect(result.stdout.contains("employees: 1 empty row, 1 malformed row"))
        let noLegend = try daemon.namectl(["status", "--no-legend"])
        #expect(!noLegend.stdout.contains("SOURCE"))
        #expect(noLegend.stdout.contains("employees"))
        try await daemon.stop()
    }

    @Test func reloadPicksUpAnEditedFile() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        #expect(try daemon.namectl(["get", "country", "FR"]).status == 2)

        try daemon.write("countries.tsv", "JP\t日本\nFR\tFrance\n")
        let reload = try daemon.namectl(["reload", "--wait"])
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(reload.stdout.split(separator: "\n").last?.hasPrefix("Generation 2 serving 6 names") == true, "\(reload.stdout)")
        #expect(try daemon.namectl(["get", "country", "FR", "DE"]).stdout == "FR\tFrance\n")

        // --json streams every reply, one object per line; the last is the outcome.
        let json = try daemon.namectl(["reload", "--wait", "--json"])
        let replies = try json.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(IndexInterface.ReloadReply.self, from: Data($0.utf8))
        }
        #expect(replies.last?.generation == 3)
        #expect(replies.last?.sources?.map(\.name) == ["employees", "contractors", "countries"])
        #expect(replies.last?.sources?.allSatisfy { $0.fetch?.state == .done } == true)
        try await daemon.stop()
    }

    @Test func reloadWithoutWaitReturnsOnceTheDaemonTookIt() async throws {
        // Once the file 'slow' exists, the source holds its fetch until the file 'go' exists:
        // the test opens the gate when it has seen what it waits for, never after a sleep.
        let daemon = try DaemonHarness(configuration: GatedCommand(resetsGate: true).toml)
        try await daemon.start()
        try daemon.write("slow", "")
        let reload = try daemon.namectl(["reload"])
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(reload.stdout.hasPrefix("Reload started; generation 1 serves meanwhile"), "\(reload.stdout)")
        // namectl returned while the fetch is held: the reload runs on without the client.
        try await daemon.waitForFile("running")
        #expect(try await daemon.client.status().generation == 1)
        try daemon.write("go", "")
        try await daemon.waitForGeneration(2)

        // With --wait --json, progress streams while the held fetch runs; the gate opens
        // once namectl has printed a progress reply.
        let log = daemon.directory.appendingPathComponent("reload-wait.json").path
        let pid = try spawnDetached(Products.namectl, ["--socket", daemon.socketPath, "reload", "--wait", "--json"], log: log)
        try await daemon.waitForFile("running")
        try await daemon.waitUntilNonEmpty(log)
        try daemon.write("go", "")
        #expect(reap(pid) == 0)
        let replies = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(IndexInterface.ReloadReply.self, from: Data($0.utf8))
        }
        #expect(replies.count >= 2, "\(replies)")
        #expect(replies.first?.generation == 2)  // serving while generation 3 loads
        // Before the last, the fetch is queued or running, or done while the index is built
        // (a progress reply relayed between the fetch's end and the swap); never failed or retried.
        let states = replies.map { $0.sources?.first?.fetch?.state }
        #expect(states.dropLast().allSatisfy { $0 == .queued || $0 == .running || $0 == .done }, "\(states)")
        #expect(replies.last?.generation == 3)
        #expect(replies.last?.sources?.first?.fetch?.state == .done)
        try await daemon.stop()
    }

    @Test func aRunningFetchShowsABarAndAnETAAgainstThePreviousLoad() async throws {
        // 40,000 rows; once 'slow' exists, a fetch prints half of them, then holds until 'go'.
        let script = "seq 1 20000 | sed 's/.*/&\\tn&/'; if [ -e slow ]; then touch running; while [ ! -e go ]; do sleep 0.05; done; fi; "
            + "seq 20001 40000 | sed 's/.*/&\\tn&/'"
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "command"
            command = ["sh", "-c", "\(script)"]
            """)
        try await daemon.start()
        #expect(try await daemon.client.status().sources[0].rows == 40_000)
        try daemon.write("slow", "")
        _ = try daemon.namectl(["reload"])
        try await daemon.waitForFile("running")
        // The rows before the hold reach the daemon in batches: wait for the first to be counted.
        let deadline = ContinuousClock.now + .seconds(60)
        while try await (daemon.client.status().sources[0].fetch?.rows ?? 0) == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let status = try daemon.namectl(["status"])
        let line = status.stdout.split(separator: "\n").first { $0.hasPrefix("users: running") }.map(String.init) ?? ""
        #expect(line.contains("so far") && line.contains("rows/s"), "\(status.stdout)")
        // Between 0 and 50 % of the 40,000 of the previous load, with an ETA.
        #expect(line.range(of: #"\[#*-+\] +[0-9]+%  ETA "#, options: .regularExpression) != nil, "\(line)")
        let percent = line.range(of: #"[0-9]+%"#, options: .regularExpression).map { Int(line[$0].dropLast()) ?? -1 } ?? -1
        #expect((1...50).contains(percent), "\(line)")
        try daemon.write("go", "")
        try await daemon.waitForGeneration(2)
        try await daemon.stop()
    }

    @Test func reloadWaitPrintsALinePerSourceWhenNotATerminal() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        let reload = try daemon.namectl(["reload", "--wait"])
        #expect(reload.status == 0)
        let lines = reload.stdout.split(separator: "\n").map(String.init)
        for source in ["employees", "contractors", "countries"] {
            #expect(lines.contains { $0.hasPrefix(source) && $0.contains("done") && $0.contains("rows") }, "\(lines)")
        }
        #expect(lines.last?.hasPrefix("Generation 2 serving") == true)
        // No terminal control sequences in a pipe.
        #expect(!reload.stdout.contains("\u{1B}"))
        try await daemon.stop()
    }

    @Test func aSourceThatFailsKeepsItsRowsAndReloadSaysSo() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        try FileManager.default.removeItem(at: daemon.directory.appendingPathComponent("countries.tsv"))

        let reload = try daemon.namectl(["reload", "--wait"])
        #expect(reload.status == 1)
        #expect(reload.stderr.contains("Reload failed: Failed to fetch source 'countries'"))
        #expect(reload.stderr.contains("No such file or directory"))
        // The old rows keep serving.
        #expect(try daemon.namectl(["get", "country", "JP"]).stdout == "JP\t日本\n")
        let status = try daemon.namectl(["status"])
        #expect(status.stdout.contains("stale"))
        #expect(status.stdout.contains("No such file or directory"))
        try await daemon.stop()
    }

    @Test func withoutADaemonNamectlSaysSoInOneLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-absent-\(UUID())/control").path
        let result = try runProgram(Products.namectl, ["--socket", path, "status"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "Failed to connect to nameindexd at \(path): No such file or directory (is nameindexd running?)\n")
    }

    @Test func theSocketComesFromTheEnvironment() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        var environment = ProcessInfo.processInfo.environment
        environment["NAMEINDEXD_SOCKET"] = daemon.socketPath
        let result = try runProgram(Products.namectl, ["get", "user", "42"], environment: environment)
        #expect(result.stdout == "42\tZoë Martin\n")
        try await daemon.stop()
    }

    @Test func helpListsEveryVerbAndOption() throws {
        let help = try runProgram(Products.namectl, ["--help"])
        #expect(help.status == 0)
        for verb in ["status (default)", "get", "namespaces", "reload"] { #expect(help.stdout.contains(verb)) }
        // Options work before the verb too, as with systemctl.
        let early = try runProgram(Products.namectl, ["--socket", "/nonexistent/control", "--json", "get", "user", "1"])
        #expect(early.stderr.contains("at /nonexistent/control:"))
        let getHelp = try runProgram(Products.namectl, ["get", "--help"])
        for option in ["--socket", "--json", "--no-legend", "--no-pager"] { #expect(getHelp.stdout.contains(option)) }
        let usage = try runProgram(Products.namectl, ["get", "user"])
        #expect(usage.status != 0)
        #expect(usage.stderr.contains("Missing expected argument '<keys> ...'"))
    }
}
