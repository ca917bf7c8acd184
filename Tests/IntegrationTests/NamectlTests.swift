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
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "command"
            command = ["sh", "-c", "if [ -e slow ]; then touch running; while [ ! -e go ]; do sleep 0.05; done; rm -f go running; fi; printf '1\\tZoë\\n'"]
            """)
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
        let deadline = ContinuousClock.now + .seconds(60)
        while ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try daemon.write("go", "")
        #expect(reap(pid) == 0)
        let replies = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(IndexInterface.ReloadReply.self, from: Data($0.utf8))
        }
        #expect(replies.count >= 2, "\(replies)")
        #expect(replies.first?.generation == 2)  // serving while generation 3 loads
        #expect(replies.dropLast().allSatisfy { $0.sources?.first?.fetch?.state == .running || $0.sources?.first?.fetch?.state == .queued })
        #expect(replies.last?.generation == 3)
        #expect(replies.last?.sources?.first?.fetch?.state == .done)
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

@Suite struct ReloadCancelTests {
    @Test func cancelMidFetchKeepsTheGenerationAndLeavesNoProcess() async throws {
        // Once 'slow' exists the command hangs in a child (sleep 31.5, our marker) of its process group.
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "command"
            command = ["sh", "-c", "if [ -e slow ]; then sleep 31.5 & wait; fi; printf '1\\\\tZoë\\\\n'"]
            """)
        try await daemon.start()
        #expect(try daemon.namectl(["reload", "--cancel"]).stdout.hasPrefix("No reload is running; generation 1 is serving."))
        try daemon.write("slow", "")
        let waiting = Process()
        waiting.executableURL = URL(fileURLWithPath: Products.namectl)
        waiting.arguments = ["--socket", daemon.socketPath, "reload", "--wait"]
        let errors = Pipe()
        waiting.standardError = errors
        waiting.standardOutput = FileHandle.nullDevice
        try waiting.run()
        var running = false
        for _ in 0..<400 where !running {
            running = try await daemon.client.status().sources[0].fetch?.state == .running
                && (try runProgram("/usr/bin/pgrep", ["-f", "sleep 31.5"])).status == 0
            if !running { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(running)
        let cancel = try daemon.namectl(["reload", "--cancel"])
        #expect(cancel.status == 0)
        #expect(cancel.stdout.hasPrefix("Cancelled the running reload; generation 1 keeps serving."), "\(cancel.stdout)")
        waiting.waitUntilExit()
        #expect(waiting.terminationStatus == 1)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("Reload cancelled. Generation 1 is serving."), "\(message)")
        let status = try await daemon.client.status()
        #expect(status.generation == 1)
        #expect(status.state == .serving)
        #expect(status.sources[0].state == .loaded)
        #expect(try daemon.namectl(["get", "user", "1"]).stdout == "1\tZoë\n")
        // The whole process group is gone.
        #expect(try runProgram("/usr/bin/pgrep", ["-f", "sleep 31.5"]).status == 1)
        try await daemon.stop()
    }
}

@Suite struct SingleFlightReloadTests {
    /// Each fetch appends a line to its source's counter file. While the file 'gate' exists,
    /// users holds its fetch (after saying so in 'running') until the file 'go' appears.
    static let configuration = """
        [[source]]
        name = "users"
        namespace = "user"
        kind = "command"
        command = ["sh", "-c", "echo run >> users.runs; if [ -e gate ]; then touch running; while [ ! -e go ]; do sleep 0.05; done; fi; printf '1\\\\tZoë\\\\n'"]

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
        let deadline = ContinuousClock.now + .seconds(60)
        while ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
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

@Suite struct ScheduledReloadTests {
    @Test func theTimerReloadsAndAFailedSourceIsRetriedAndStatusSaysWhen() async throws {
        // users: a 3 s timer with up to 200 ms of jitter. teams: no timer, and it fails.
        let daemon = try DaemonHarness(configuration: """
            [daemon]
            reload_jitter = "200ms"

            [[source]]
            name = "users"
            namespace = "user"
            kind = "command"
            command = ["sh", "-c", "echo run >> users.runs; printf '1\\\\tZoë\\\\n'"]
            reload_interval = "3s"

            [[source]]
            name = "teams"
            namespace = "team"
            kind = "file"
            path = "missing.tsv"
            retries = 0
            """)
        try await daemon.start()
        let first = try await daemon.client.status()
        let users = try #require(first.sources[0].nextReloadUSec)
        let loaded = try #require(first.sources[0].lastSuccessUSec)
        #expect(users >= loaded + 3_000_000 && users <= loaded + 3_200_000 + 100_000)
        #expect(first.sources[0].nextReloadReason == "timer")
        // The failed source is retried after 15–30 s although it has no timer (30–60 s after a
        // second failure, which a slow machine may already have seen).
        let teams = try #require(first.sources[1].nextReloadUSec)
        let failedAt = try #require(first.sources[1].lastErrorUSec)
        let reason = try #require(first.sources[1].nextReloadReason)
        let failures = reason == "retry after a failed load" ? 1 : Int(reason.split(separator: " ").dropFirst(2).first ?? "") ?? 0
        #expect(failures >= 1, "\(reason)")
        let base = UInt64(15_000_000) << UInt64(max(0, failures - 1))
        #expect(teams >= failedAt + base && teams <= failedAt + 2 * base)
        let text = try daemon.namectl(["status"]).stdout
        #expect(text.contains("NEXT RELOAD"))
        #expect(text.contains("(retry after "), "\(text)")
        // The timer fires by itself, reloading users only.
        let deadline = ContinuousClock.now + .seconds(30)
        var runs = 1
        while runs < 3 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            runs = (try? String(contentsOf: daemon.directory.appendingPathComponent("users.runs"), encoding: .utf8))?
                .split(separator: "\n").count ?? 0
        }
        #expect(runs >= 3)
        let later = try await daemon.client.status()
        #expect(later.generation >= 3)
        #expect(later.sources[1].state == .failed || later.sources[1].state == .failedAndReloading)
        // Not retried early by the users' reloads: still due when it was, or (a slow machine,
        // past the due time) retried no earlier than that.
        if later.sources[1].lastErrorUSec == failedAt {
            #expect(later.sources[1].nextReloadUSec == teams)
        } else {
            #expect((later.sources[1].lastErrorUSec ?? 0) >= teams, "retried before it was due")
        }
        try await daemon.stop()
    }
}

@Suite struct ChangeCheckTests {
    /// Waits until `count` more checks of source `index` happened; returns the last status.
    func afterChecks(_ daemon: DaemonHarness, _ count: Int, source index: Int = 0) async throws -> IndexInterface.StatusReply {
        var seen: Set<UInt64> = []
        var status = try await daemon.client.status()
        let deadline = ContinuousClock.now + .seconds(20)
        while seen.count <= count && ContinuousClock.now < deadline {
            status = try await daemon.client.status()
            if let at = status.sources[index].lastCheckUSec { seen.insert(at) }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seen.count > count, "only \(seen.count) checks seen")
        return status
    }

    @Test func anUnchangedCheckQueryMeansNoFetchAndAChangedOneExactlyOne() async throws {
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "sqlite"
            path = "app.db"
            query = "SELECT id, name FROM users"
            check_query = "SELECT max(version) FROM meta"
            check_interval = "100ms"
            """)
        let db = daemon.directory.appendingPathComponent("app.db").path
        func sql(_ text: String) throws {
            let result = try runProgram("/usr/bin/sqlite3", [db, text])
            #expect(result.status == 0, "\(result.stderr)")
        }
        try sql("CREATE TABLE users(id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'Zoë'); CREATE TABLE meta(version INTEGER); INSERT INTO meta VALUES (7);")
        try await daemon.start()
        var status = try await afterChecks(daemon, 4)
        #expect(status.generation == 1)
        #expect(status.sources[0].lastCheckValue == "7")
        #expect(status.sources[0].lastCheckError == nil)
        // The rows change and so does the version: exactly one fetch follows.
        try sql("INSERT INTO users VALUES (2, 'Ana'); UPDATE meta SET version = 8;")
        let deadline = ContinuousClock.now + .seconds(20)
        while try await daemon.client.status().generation < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        status = try await afterChecks(daemon, 4)
        #expect(status.generation == 2)
        #expect(status.sources[0].rows == 2)
        #expect(status.sources[0].lastCheckValue == "8")
        let text = try daemon.namectl(["status"]).stdout
        #expect(text.contains("users: last change check") && text.contains(": 8"), "\(text)")
        try await daemon.stop()
    }

    @Test func aFileIsReloadedWhenItChanges() async throws {
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "users"
                namespace = "user"
                kind = "file"
                path = "users.tsv"
                check_interval = "100ms"
                """, files: ["users.tsv": "1\tZoë\n"])
        try await daemon.start()
        var status = try await afterChecks(daemon, 3)
        #expect(status.generation == 1)
        try daemon.write("users.tsv", "1\tZoë\n2\tAna\n")
        let deadline = ContinuousClock.now + .seconds(20)
        while try await daemon.client.status().generation < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        status = try await afterChecks(daemon, 3)
        #expect(status.generation == 2)
        #expect(try daemon.namectl(["get", "user", "2"]).stdout == "2\tAna\n")
        try await daemon.stop()
    }
}

@Suite struct ReloadChangesTests {
    @Test func afterASwapStatusSaysWhatChangedPerNamespace() async throws {
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "users"
                namespace = "user"
                kind = "file"
                path = "users.tsv"

                [[source]]
                name = "teams"
                namespace = "team"
                kind = "file"
                path = "teams.tsv"
                """, files: ["users.tsv": "1\tZoë\n2\tAna\n3\tBo\n", "teams.tsv": "7\tRed\n"])
        try await daemon.start()
        #expect(try await daemon.client.status().changes == nil)
        try daemon.write("users.tsv", "1\tZoë\n2\tAna B.\n4\tDi\n5\tEd\n")
        #expect(try daemon.namectl(["reload", "--wait"]).status == 0)
        var status = try await daemon.client.status()
        let deadline = ContinuousClock.now + .seconds(10)
        while status.changesFrom != 1 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            status = try await daemon.client.status()
        }
        #expect(status.changesFrom == 1)
        #expect(status.sources.allSatisfy { ($0.bytes ?? 0) > 0 })
        #expect(status.changes == [
            .init(namespace: "team", added: 0, removed: 0, changed: 0),
            .init(namespace: "user", added: 2, removed: 1, changed: 1),
        ])
        let text = try daemon.namectl(["status"]).stdout
        #expect(text.contains("Changes: since generation 1: team unchanged, user +2 −1 ~1"), "\(text)")
        try await daemon.stop()
    }
}
