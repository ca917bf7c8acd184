import Foundation
import NameIndexProtocol
import Testing

/// A table whose `updated_at` a trigger keeps (a counter bumped by every insert and update) and
/// whose rows are soft-deleted with `deleted`, in SQLite or PostgreSQL; the daemon's deltas
/// must follow it.
struct DeltaTable {
    /// Runs SQL against the table's database.
    let sql: (String) throws -> Void
    /// The live rows, `key<TAB>name` per line.
    let liveText: () throws -> String

    /// The live rows.
    func live() throws -> [String: String] { Self.parse(try liveText()) }

    static func parse(_ text: String) -> [String: String] {
        var rows: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.isEmpty {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            rows[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return rows
    }

    static let sqliteSchema = """
        CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
          updated_at INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE clock(n INTEGER NOT NULL); INSERT INTO clock VALUES (0);
        CREATE TRIGGER users_inserted AFTER INSERT ON users BEGIN
          UPDATE clock SET n = n + 1; UPDATE users SET updated_at = (SELECT n FROM clock) WHERE id = NEW.id; END;
        CREATE TRIGGER users_updated AFTER UPDATE OF name, deleted ON users BEGIN
          UPDATE clock SET n = n + 1; UPDATE users SET updated_at = (SELECT n FROM clock) WHERE id = NEW.id; END;
        """

    /// The SQLite database `path` with the table.
    static func sqlite(_ path: String) throws -> DeltaTable {
        func run(_ text: String) throws -> String {
            let result = try runProgram("/usr/bin/sqlite3", ["-separator", "\t", path, text])
            guard result.status == 0 else { throw DeltaTestError(message: "sqlite3: \(result.stderr)") }
            return result.stdout
        }
        _ = try run(sqliteSchema)
        return DeltaTable(
            sql: { _ = try run($0) }, liveText: { try run("SELECT id, name FROM users WHERE NOT deleted ORDER BY id") })
    }

    /// The table `name` in the throw-away PostgreSQL, its `updated_at` from a sequence.
    static func postgres(_ server: PostgresServer, name: String) throws -> DeltaTable {
        try server.psql("""
            DROP TABLE IF EXISTS \(name); DROP SEQUENCE IF EXISTS \(name)_clock;
            CREATE SEQUENCE \(name)_clock;
            CREATE TABLE \(name)(id bigint PRIMARY KEY, name text NOT NULL, deleted boolean NOT NULL DEFAULT false,
              updated_at bigint NOT NULL DEFAULT 0);
            CREATE OR REPLACE FUNCTION \(name)_touch() RETURNS trigger AS $$
              BEGIN NEW.updated_at := nextval('\(name)_clock'); RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER \(name)_touch BEFORE INSERT OR UPDATE ON \(name) FOR EACH ROW EXECUTE FUNCTION \(name)_touch();
            """)
        return DeltaTable(
            sql: { try server.psql($0.replacingOccurrences(of: "users", with: name)) },
            liveText: { try server.psql("SELECT id || E'\\t' || name FROM \(name) WHERE NOT deleted ORDER BY id") })
    }
}

struct DeltaTestError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A small seeded generator (SplitMix64), so that a failing round can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What the daemon serves for a namespace, through its two sockets.
struct ServedView {
    let daemon: DaemonHarness

    /// Every entry by HSCAN, with HLEN and DBSIZE beside it (each key once, or the script fails).
    func dump(_ namespace: String) throws -> (entries: [String: String], hlen: Int, scanned: Int, dbsize: Int) {
        let script = Products.packageRoot.appendingPathComponent("Tests/IntegrationTests/Scripts/index_view.py").path
        let result = try runProgram("/usr/bin/env", ["python3", script, "dump", daemon.runtimeDirectory + "/lookup", namespace])
        guard result.status == 0 else { throw DeltaTestError(message: "index_view.py: \(result.stderr)") }
        let lines = result.stdout.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let counts = lines[0].split(separator: " ").compactMap { Int($0) }
        return (DeltaTable.parse(lines.count > 1 ? String(lines[1]) : ""), counts[0], counts[1], counts[2])
    }

    /// The status once every source in `sources` (positions) has a reconciliation newer than
    /// `after`: it is made after the full reload's swap and reply, so it is waited for.
    func reconciled(_ sources: [Int], after: UInt64) async throws -> IndexInterface.StatusReply {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let status = try await daemon.client.status()
            if sources.allSatisfy({ (status.sources[$0].delta?.reconciliation?.atUSec ?? 0) > after }) { return status }
            guard ContinuousClock.now < deadline else { throw DeltaTestError(message: "no reconciliation within 60 s:\n\(daemon.log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// What `namectl get` prints for `keys`.
    func get(_ namespace: String, _ keys: [String]) throws -> [String: String] {
        DeltaTable.parse(try daemon.namectl(["get", namespace] + keys).stdout)
    }

    /// Expects the namespace to serve exactly `truth`, through HSCAN, HLEN, DBSIZE and `namectl get`
    /// (asked for `keys`, which include keys deleted since).
    func expectServes(_ namespace: String, _ truth: [String: String], keys: Set<String>, _ note: String) throws {
        let served = try dump(namespace)
        #expect(served.entries == truth, "\(note): HSCAN")
        #expect(served.hlen == truth.count && served.scanned == truth.count, "\(note): HLEN")
        #expect(served.dbsize == (truth.isEmpty ? 0 : 1), "\(note): DBSIZE (namespaces)")
        let asked = keys.union(truth.keys).sorted()
        #expect(try get(namespace, asked) == truth, "\(note): namectl get")
    }
}

@Suite(.serialized) struct DeltaDaemonTests {
    /// The source's keys for a `sqlite` or `command` (through sqlite3) source on `app.db`.
    static func sqliteSource(kind: String, extra: String = "") -> String {
        let delta = "SELECT id, name, deleted, updated_at FROM users WHERE updated_at > {watermark}"
        let body: String
        if kind == "sqlite" {
            body = """
                kind = "sqlite"
                path = "app.db"
                query = "SELECT id, name FROM users WHERE NOT deleted"
                delta_query = "\(delta)"
                watermark_query = "SELECT max(updated_at) FROM users"
                """
        } else {
            body = """
                kind = "command"
                command = ["sqlite3", "-separator", "\\t", "app.db", "SELECT id, name FROM users WHERE NOT deleted"]
                delta_command = ["sqlite3", "-separator", "\\t", "app.db", "\(delta)"]
                watermark_command = ["sqlite3", "app.db", "SELECT max(updated_at) FROM users"]
                """
        }
        return """
            [[source]]
            name = "users"
            namespace = "user"
            \(body)
            \(extra)
            """
    }

    /// A daemon on `configuration` whose `app.db` holds the table with rows `first...last`
    /// (named `n1`, `n2`, …), not started.
    static func daemon(_ configuration: String, rows: ClosedRange<Int>? = nil, files: [String: String] = [:]) throws
        -> (DaemonHarness, DeltaTable)
    {
        let daemon = try DaemonHarness(configuration: configuration, files: files)
        let table = try DeltaTable.sqlite(daemon.directory.appendingPathComponent("app.db").path)
        if let rows { try table.sql(rows.map { "INSERT INTO users(id, name) VALUES (\($0), 'n\($0)');" }.joined()) }
        return (daemon, table)
    }

    /// Random inserts, renames, soft deletes and re-inserts of deleted keys, then a delta,
    /// round after round; after each the index equals the table's live rows.
    static func randomRounds(_ daemon: DaemonHarness, _ table: DeltaTable, seed: UInt64, rounds: Int = 12) async throws {
        var random = SeededGenerator(state: seed)
        var used: Set<String> = []
        var live = try table.live()
        used.formUnion(live.keys)
        var nextKey = (live.keys.compactMap { Int($0) }.max() ?? 0) + 1
        let view = ServedView(daemon: daemon)
        for round in 1...rounds {
            var statements: [String] = []
            var deleted = Set(used).subtracting(live.keys)
            for _ in 0..<Int.random(in: 5...25, using: &random) {
                let name = "n\(round)-\(Int.random(in: 0..<1_000_000, using: &random))"
                switch Int.random(in: 0..<4, using: &random) {
                case 0:
                    statements.append("INSERT INTO users(id, name) VALUES (\(nextKey), '\(name)');")
                    live["\(nextKey)"] = name
                    used.insert("\(nextKey)")
                    nextKey += 1
                case 1 where !live.isEmpty:
                    let key = live.keys.sorted()[Int.random(in: 0..<live.count, using: &random)]
                    statements.append("UPDATE users SET name = '\(name)' WHERE id = \(key);")
                    live[key] = name
                case 2 where !live.isEmpty:
                    let key = live.keys.sorted()[Int.random(in: 0..<live.count, using: &random)]
                    statements.append("UPDATE users SET deleted = true WHERE id = \(key);")
                    live[key] = nil
                    deleted.insert(key)
                case 3 where !deleted.isEmpty:
                    let key = deleted.sorted()[Int.random(in: 0..<deleted.count, using: &random)]
                    statements.append("UPDATE users SET deleted = false, name = '\(name)' WHERE id = \(key);")
                    live[key] = name
                    deleted.remove(key)
                default: break
                }
            }
            if !statements.isEmpty { try table.sql(statements.joined(separator: "\n")) }
            let result = try daemon.namectl(["reload", "--delta", "--wait"])
            #expect(result.status == 0, "round \(round): \(result.stdout)\(result.stderr)")
            #expect(try table.live() == live, "round \(round): the model follows the table")
            try view.expectServes("user", live, keys: used, "round \(round) (seed \(seed))")
        }
        let status = try await daemon.client.status()
        #expect(status.sources[0].delta?.applied ?? 0 >= 1)
        #expect(status.sources[0].rows == live.count)
    }

    @Test(arguments: ["sqlite", "command"])
    func randomRoundsOfDeltasKeepTheIndexEqualToTheTable(kind: String) async throws {
        let (daemon, table) = try Self.daemon(Self.sqliteSource(kind: kind))
        try table.sql((1...40).map { "INSERT INTO users(id, name) VALUES (\($0), 'first \($0)');" }.joined())
        try await daemon.start()
        let status = try await daemon.client.status()
        #expect(status.sources[0].delta?.watermark == "40", "the full load set the watermark from watermark_query")
        try await Self.randomRounds(daemon, table, seed: kind == "sqlite" ? 20_261_204 : 7)
        try await daemon.stop()
    }

    @Test func aDeltaThatChangesNothingMakesNoGeneration() async throws {
        let (daemon, table) = try Self.daemon(Self.sqliteSource(kind: "sqlite", extra: "delta_lag = 5"))
        try table.sql("INSERT INTO users(id, name) VALUES (1, 'one'), (2, 'two');")
        try await daemon.start()
        // The lag re-reads both rows; they are in place, so nothing changes. --wait shows the
        // delta's progress as a reload's (a line per source state, not a terminal here), then the outcome.
        let waited = try daemon.namectl(["reload", "--delta", "--wait"])
        #expect(waited.status == 0)
        #expect(waited.stdout.contains("users") && waited.stdout.contains("done") && waited.stdout.contains("2 rows"), "\(waited.stdout)")
        #expect(waited.stdout.contains("Generation 1 serving 2 names"), "\(waited.stdout)")
        let status = try await daemon.client.status()
        #expect(status.generation == 1)
        #expect(status.sources[0].delta?.lastUpserts == 2)
        #expect(status.sources[0].delta?.lastChanged == 0)
        #expect(status.sources[0].delta?.lastGeneration == nil)
        let text = try daemon.namectl(["status"]).stdout
        #expect(text.contains("users: watermark 2; last delta") && text.contains("(no new generation)"), "\(text)")
        try await daemon.stop()
    }

    @Test func hardDeletesAreMissedByDeltasAndReportedByTheFullReload() async throws {
        let (daemon, table) = try Self.daemon(Self.sqliteSource(kind: "sqlite"), rows: 1...10)
        try await daemon.start()
        try table.sql("DELETE FROM users WHERE id IN (3, 4); UPDATE users SET name = 'renamed' WHERE id = 5;")
        #expect(try daemon.namectl(["reload", "--delta", "--wait"]).status == 0)
        let view = ServedView(daemon: daemon)
        // The rename came through; the hard deletes did not.
        #expect(try view.get("user", ["3", "4", "5"]) == ["3": "n3", "4": "n4", "5": "renamed"])
        let before = try await daemon.client.status().sources[0].lastSuccessUSec ?? 0
        #expect(try daemon.namectl(["reload", "--full", "--wait"]).status == 0)
        try view.expectServes("user", try table.live(), keys: ["3", "4"], "after the full reload")
        let status = try await view.reconciled([0], after: before)
        let reconciliation = try #require(status.sources[0].delta?.reconciliation)
        #expect(reconciliation.extra == 2 && reconciliation.missing == 0 && reconciliation.changed == 0)
        #expect(Set(reconciliation.examples) == ["-3", "-4"])
        let text = try daemon.namectl(["status"]).stdout
        #expect(text.contains("users: full reload") && text.contains("deltas had missed 2 deletes, 0 additions, 0 changes"), "\(text)")
        #expect(daemon.log.contains("Full reload of 'users': deltas had missed 2 deletes"), "\(daemon.log)")
        try await daemon.stop()
    }

    @Test func aTombstoneInTheFirstSourceLetsTheSecondAnswer() async throws {
        let daemon = try DaemonHarness(
            configuration: Self.sqliteSource(kind: "sqlite") + """

                [[source]]
                name = "fallback"
                namespace = "user"
                kind = "file"
                path = "fallback.tsv"
                """, files: ["fallback.tsv": "1\tfallback one\n9\tfallback nine\n"])
        let table = try DeltaTable.sqlite(daemon.directory.appendingPathComponent("app.db").path)
        // A hundred more rows, so that the deltas below stay in the overlay (under compact_above).
        try table.sql("INSERT INTO users(id, name) VALUES (1, 'one'), (2, 'two');"
            + (100..<200).map { "INSERT INTO users(id, name) VALUES (\($0), 'n\($0)');" }.joined())
        try await daemon.start()
        let view = ServedView(daemon: daemon)
        #expect(try view.get("user", ["1", "2", "9"]) == ["1": "one", "2": "two", "9": "fallback nine"])
        #expect(try await daemon.client.status().sources[1].skippedRows?.map(\.key) == ["1"], "1 is shadowed before the delta")
        try table.sql("UPDATE users SET deleted = true WHERE id IN (1, 2);")
        #expect(try daemon.namectl(["reload", "--delta", "--wait"]).status == 0)
        // The tombstone hides key 1 in 'users' only: 'fallback' answers it now.
        let hundred = Dictionary(uniqueKeysWithValues: (100..<200).map { ("\($0)", "n\($0)") })
        try view.expectServes("user", hundred.merging(["1": "fallback one", "9": "fallback nine"]) { $1 }, keys: ["2"], "after the tombstones")
        let status = try await daemon.client.status()
        #expect(status.sources[1].shadowed == 0, "nothing of 'fallback' is shadowed any more")
        #expect(status.changes?.first { $0.namespace == "user" }.map { [$0.added, $0.removed, $0.changed] } == [0, 1, 1])
        // Explain says where each answer comes from: a tombstone of a delta, then the next source.
        #expect(status.sources[1].skippedRows == nil, "a shadowing that a delta ended is not shown")
        let one = try await daemon.client.explain(namespace: "user", key: "1")
        #expect(one.answeredBy == "fallback" && one.name == "fallback one" && one.generation == status.generation)
        #expect(one.sources.map(\.answer) == [.deleted, .name], "\(one.sources)")
        #expect(one.sources[0].loadedAtUSec == status.sources[0].delta?.lastUSec)
        try table.sql("INSERT INTO users(id, name) VALUES (3, 'three');")
        #expect(try daemon.namectl(["reload", "--delta", "--wait"]).status == 0)
        let three = try daemon.namectl(["explain", "user", "3"])
        #expect(three.stdout.contains("users (sqlite): three from a delta — answers"), "\(three.stdout)")
        try await daemon.stop()
    }

    @Test func aDeltaPastMaxShrinkIsRefusedAndTheGenerationStays() async throws {
        let (daemon, table) = try Self.daemon(Self.sqliteSource(kind: "sqlite", extra: "max_shrink = \"50%\""), rows: 1...4)
        try await daemon.start()
        try table.sql("UPDATE users SET deleted = true WHERE id IN (1, 2, 3);")
        let result = try daemon.namectl(["reload", "--delta", "--wait"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("would leave 1 row, 75% fewer"), "\(result.stderr)")
        let status = try await daemon.client.status()
        #expect(status.generation == 1)
        #expect(status.sources[0].delta?.lastError?.contains("delta refused") == true)
        #expect(try ServedView(daemon: daemon).get("user", ["1", "2", "3", "4"]).count == 4)
        try await daemon.stop()
    }

    @Test func aFailingDeltaIsRetriedAndOneThatKeepsFailingKeepsTheGeneration() async throws {
        let delta = "SELECT id, name, deleted, updated_at FROM users WHERE updated_at > {watermark}"
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "command"
            command = ["sqlite3", "-separator", "\\t", "app.db", "SELECT id, name FROM users WHERE NOT deleted"]
            # Fails once per 'fail-once' file, and always while 'fail-always' exists.
            delta_command = ["sh", "-c", "test -e fail-always && exit 4; if test -e fail-once; then rm fail-once; exit 3; fi; exec sqlite3 -separator '\t' app.db \\"$0\\"", "\(delta)"]
            watermark_command = ["sqlite3", "app.db", "SELECT max(updated_at) FROM users"]
            retries = 1
            retry_delay = "10ms"
            """)
        let table = try DeltaTable.sqlite(daemon.directory.appendingPathComponent("app.db").path)
        try table.sql("INSERT INTO users(id, name) VALUES (1, 'one');")
        try await daemon.start()
        try daemon.write("fail-once", "")
        try table.sql("INSERT INTO users(id, name) VALUES (2, 'two');")
        let retried = try daemon.namectl(["reload", "--delta", "--wait"])
        #expect(retried.status == 0, "\(retried.stdout)\(retried.stderr)")
        #expect(daemon.log.contains("retrying in"), "\(daemon.log)")
        #expect(try ServedView(daemon: daemon).get("user", ["2"]) == ["2": "two"])
        let generation = try await daemon.client.status().generation
        try daemon.write("fail-always", "")
        try table.sql("INSERT INTO users(id, name) VALUES (3, 'three');")
        let failed = try daemon.namectl(["reload", "--delta", "--wait"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("Delta failed for source 'users'") && failed.stderr.contains("after 2 attempts"), "\(failed.stderr)")
        let status = try await daemon.client.status()
        #expect(status.generation == generation)
        #expect(status.sources[0].delta?.lastError?.contains("exit") == true, "\(String(describing: status.sources[0].delta))")
        #expect(try ServedView(daemon: daemon).get("user", ["3"]).isEmpty)
        try await daemon.stop()
    }

    @Test func aSourceWithoutADeltaQueryIsRefusedByName() async throws {
        let daemon = try DaemonHarness(configuration: Fixture.configuration, files: Fixture.files)
        try await daemon.start()
        let named = try daemon.namectl(["reload", "--delta", "--wait", "employees"])
        #expect(named.status == 1)
        #expect(named.stderr.contains("has no delta query"), "\(named.stderr)")
        let all = try daemon.namectl(["reload", "--delta"])
        #expect(all.status == 1 && all.stderr.contains("No source has a delta query"), "\(all.stderr)")
        #expect(try daemon.namectl(["reload", "--delta", "--full"]).status != 0)
        try await daemon.stop()
    }

    @Test func deltasRunOnTheirTimer() async throws {
        let (daemon, table) = try Self.daemon(Self.sqliteSource(kind: "sqlite", extra: "delta_interval = \"100ms\""))
        try table.sql("INSERT INTO users(id, name) VALUES (1, 'one');")
        try await daemon.start()
        // The timer is set: a delta is scheduled, queued or running, whenever Status asks.
        let delta = try await daemon.client.status().sources[0].delta
        #expect(delta?.nextDeltaUSec != nil || delta?.queued == true || delta?.running == true, "\(String(describing: delta))")
        try table.sql("INSERT INTO users(id, name) VALUES (2, 'two');")
        try await daemon.waitForGeneration(2)
        #expect(try ServedView(daemon: daemon).get("user", ["1", "2"]) == ["1": "one", "2": "two"])
        try await daemon.stop()
    }

    @Test func killedAfterADeltaTheWarmStartServesTheOverlayAndDeltasGoOn() async throws {
        let extra = """
            [daemon]
            snapshot_interval = "0s"
            refresh_on_start = false
            """
        let daemon = try DaemonHarness(configuration: extra + "\n" + Self.sqliteSource(kind: "sqlite", extra: "compact_above = \"50%\""))
        let table = try DeltaTable.sqlite(daemon.directory.appendingPathComponent("app.db").path)
        try table.sql((1...20).map { "INSERT INTO users(id, name) VALUES (\($0), 'n\($0)');" }.joined())
        try await daemon.start()
        try table.sql("UPDATE users SET name = 'renamed' WHERE id = 1; UPDATE users SET deleted = true WHERE id = 2; INSERT INTO users(id, name) VALUES (21, 'new');")
        #expect(try daemon.namectl(["reload", "--delta", "--wait"]).status == 0)
        let before = try await daemon.client.status()
        #expect(before.generation == 2)
        // The snapshot of the delta's generation is on disk before kill -9.
        let deadline = ContinuousClock.now + .seconds(60)
        while try await daemon.client.status().snapshot?.generation != 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await daemon.stop(signal: SIGKILL)
        let restarted = try daemon.restarted()
        try await restarted.start()
        let after = try await restarted.client.status()
        #expect(after.servingSnapshot && after.generation == 2)
        #expect(after.sources[0].delta?.watermark == before.sources[0].delta?.watermark)
        #expect(after.sources[0].delta?.overlayRows == 3)
        let view = ServedView(daemon: restarted)
        try view.expectServes("user", try table.live(), keys: ["2"], "after the warm start")
        // The next delta reads only what changed since the saved watermark.
        try table.sql("INSERT INTO users(id, name) VALUES (22, 'newer');")
        #expect(try restarted.namectl(["reload", "--delta", "--wait"]).status == 0)
        let next = try await restarted.client.status()
        #expect(next.sources[0].delta?.lastUpserts == 1 && next.sources[0].delta?.lastTombstones == 0)
        try view.expectServes("user", try table.live(), keys: ["2"], "after the next delta")
        try await restarted.stop()
    }

    @Test func compactionUnderLookupsServesOneGenerationAtATimeAndTheTable() async throws {
        let (daemon, table) = try Self.daemon(Self.sqliteSource(kind: "sqlite", extra: "compact_above = \"10%\""), rows: 1...500)
        try await daemon.start()
        // Below the threshold: an overlay, no compaction.
        try table.sql((1...20).map { "UPDATE users SET name = 'a\($0)' WHERE id = \($0);" }.joined())
        #expect(try daemon.namectl(["reload", "--delta", "--wait"]).status == 0)
        var status = try await daemon.client.status()
        #expect(status.sources[0].delta?.overlayRows == 20 && status.sources[0].delta?.lastCompactionUSec == nil)
        let stateA = try table.live()
        // Past it: 80 more changes, in one delta, then the compaction, while lookups go on.
        try table.sql((21...80).map { "UPDATE users SET name = 'b\($0)' WHERE id = \($0);" }.joined()
            + (81...100).map { "UPDATE users SET deleted = true WHERE id = \($0);" }.joined())
        let stateB = try table.live()
        func text(_ state: [String: String]) -> String { state.map { "\($0.key)\t\($0.value)\n" }.joined() }
        try daemon.write("state-a.tsv", text(stateA))
        try daemon.write("state-b.tsv", text(stateB))
        let stop = daemon.directory.appendingPathComponent("stop").path
        let script = Products.packageRoot.appendingPathComponent("Tests/IntegrationTests/Scripts/index_view.py").path
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        watcher.arguments = [
            "python3", script, "watch", daemon.runtimeDirectory + "/lookup", "user",
            daemon.directory.appendingPathComponent("state-a.tsv").path, daemon.directory.appendingPathComponent("state-b.tsv").path, stop,
        ]
        let output = Pipe()
        watcher.standardOutput = output
        try watcher.run()
        try await daemon.waitForFile("stop.ready")
        #expect(try daemon.namectl(["reload", "--delta", "--wait"]).status == 0)
        let deadline = ContinuousClock.now + .seconds(60)
        repeat {
            status = try await daemon.client.status()
            try await Task.sleep(for: .milliseconds(20))
        } while status.sources[0].delta?.lastCompactionUSec == nil && ContinuousClock.now < deadline
        FileManager.default.createFile(atPath: stop, contents: nil)
        watcher.waitUntilExit()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let numbers = report.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(numbers.count == 3 && numbers[0] > 0 && numbers[1] == 0 && numbers[2] == 0, "\(report)")
        #expect(status.sources[0].delta?.lastCompactionRows == 480)
        #expect(status.sources[0].delta?.overlayRows == 0)
        #expect(status.generation == 4, "the delta's generation, then the compaction's")
        try ServedView(daemon: daemon).expectServes("user", stateB, keys: Set(stateA.keys), "after the compaction")
        #expect(daemon.log.contains("Compacted source 'users'"))
        try await daemon.stop()
    }
}
