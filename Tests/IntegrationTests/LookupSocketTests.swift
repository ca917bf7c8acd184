#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexProtocol
import Testing

/// The lookup socket with real Redis clients: redis-cli, redis-py, redis-benchmark.
@Suite struct LookupSocketTests {
    /// Two sources for `user` (integer keys, then text and overlapping keys, so some are
    /// shadowed) and one for `team`; `truth` is what each namespace must answer.
    static func daemon(extra: String = "") throws -> (DaemonHarness, user: [String: String], team: [String: String]) {
        var staff = "", contractors = "", teams = ""
        var user: [String: String] = [:], team: [String: String] = [:]
        for i in 1...3000 {
            let name = i % 7 == 0 ? "Zoë \(i) 王" : "Staff \(i)"
            staff += "\(i)\t\(name)\n"
            user["\(i)"] = name
        }
        for i in 2500...4000 {
            contractors += "\(i)\tContractor \(i)\n"
            if user["\(i)"] == nil { user["\(i)"] = "Contractor \(i)" }
        }
        for i in 1...500 {
            contractors += "c-\(i)\tExternal \(i)\n"
            user["c-\(i)"] = "External \(i)"
        }
        for i in 1...777 {
            teams += "T\(i)\tTeam \(i)\n"
            team["T\(i)"] = "Team \(i)"
        }
        let harness = try DaemonHarness(
            configuration: extra + """
                [[source]]
                name = "staff"
                namespace = "user"
                kind = "file"
                path = "staff.tsv"

                [[source]]
                name = "contractors"
                namespace = "user"
                kind = "file"
                path = "contractors.tsv"

                [[source]]
                name = "teams"
                namespace = "team"
                kind = "file"
                path = "teams.tsv"

                """,
            files: ["staff.tsv": staff, "contractors.tsv": contractors, "teams.tsv": teams])
        return (harness, user, team)
    }

    static func tsv(_ rows: [String: String]) -> String { rows.map { "\($0.key)\t\($0.value)\n" }.joined() }

    @Test func redisCliLooksUp() async throws {
        let (daemon, _, _) = try Self.daemon()
        try await daemon.start()
        let socket = daemon.runtimeDirectory + "/lookup"
        let cli = { (args: [String]) in try spawnAndWait("/usr/bin/redis-cli", ["-s", socket] + args) }
        #expect(try cli(["HGET", "user", "7"]).stdout == "Zoë 7 王\n")
        #expect(try cli(["HGET", "user", "2600"]).stdout == "Staff 2600\n", "the first source wins")
        #expect(try cli(["HGET", "user", "c-3"]).stdout == "External 3\n")
        #expect(try cli(["HMGET", "user", "1", "nope", "4000"]).stdout == "Staff 1\n\nContractor 4000\n")
        let keyspace = try cli(["INFO", "keyspace"]).stdout
        #expect(keyspace.contains("user:entries=4500,"), "\(keyspace)")
        #expect(keyspace.contains("team:entries=777,"), "\(keyspace)")
        // Several commands on one connection: errors do not close it.
        let session = try spawnAndWait("/bin/sh", ["-c", "printf 'SET a b\\nFLY away\\nHGET team T1\\n' | redis-cli -s '\(socket)'"])
        let lines = session.stdout.split(separator: "\n")  // redis-cli follows an error with a blank line
        #expect(lines == ["READONLY You can't write against a read only replica.", "ERR unknown command 'FLY', with args beginning with: 'away'", "Team 1"], "\(session.stdout)")
        // The counts reach namectl status.
        let status = try daemon.namectl(["status"]).stdout
        #expect(status.contains("Lookups: team 1 (1 hits, 100.0%), user 6 (5 hits, 83.3%)"), "\(status)")
    }

    @Test func redisPyPipelinesScansAndResp3() async throws {
        let (daemon, user, team) = try Self.daemon()
        try await daemon.start()
        try daemon.write("truth/user.tsv", Self.tsv(user))
        try daemon.write("truth/team.tsv", Self.tsv(team))
        let script = Products.packageRoot.appendingPathComponent("Tests/IntegrationTests/Scripts/redis_client.py").path
        // The python3 on PATH, where scripts/setup installed redis-py.
        let result = try runProgram(
            "/usr/bin/env", ["python3", script, daemon.runtimeDirectory + "/lookup", daemon.directory.appendingPathComponent("truth").path])
        #expect(result.status == 0, "redis_client.py: \(result.stdout)\(result.stderr)")
        #expect(result.stdout == "ok\n")
    }

    @Test func redisBenchmarkRunsWithoutErrors() async throws {
        let (daemon, _, _) = try Self.daemon()
        try await daemon.start()
        let socket = daemon.runtimeDirectory + "/lookup"
        for pipeline in ["1", "16"] {
            let run = try spawnAndWait(
                "/usr/bin/redis-benchmark",
                ["-s", socket, "-n", "20000", "-c", "20", "-P", pipeline, "-r", "4000", "--csv", "HGET", "user", "__rand_int__"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("\"HGET user __rand_int__\""), "\(run.stdout)")
            #expect(!run.stderr.contains("WARNING") && !run.stderr.contains("Error"), "\(run.stderr)")
        }
        let standard = try spawnAndWait("/usr/bin/redis-benchmark", ["-s", socket, "-n", "5000", "-q", "-t", "ping"])
        #expect(standard.status == 0 && standard.stdout.contains("PING_MBULK"), "\(standard.stdout)\(standard.stderr)")
    }

    /// A raw connection to the lookup socket.
    static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withUnixAddress(path) { Glibc.connect(fd, $0, $1) }
        guard connected == 0 else {
            close(fd)
            throw SpawnError(message: "connect \(path): \(String(cString: strerror(errno)))")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Reads until `expected` bytes arrived, the peer closed, or 10 s passed.
    static func receive(_ fd: Int32, atLeast expected: Int) -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while data.count < expected {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    @Test func garbageClosesOnlyItsConnectionAndLimitsHold() async throws {
        let (daemon, _, _) = try Self.daemon(extra: "[daemon]\nmax_connections = 3\n\n")
        try await daemon.start()
        let socket = daemon.runtimeDirectory + "/lookup"
        let good = try Self.connect(socket)
        defer { close(good) }
        let bad = try Self.connect(socket)
        defer { close(bad) }
        // Pipelined, split across writes.
        Self.send(good, "*3\r\n$4\r\nHGET\r\n$4\r\nuser\r\n$1\r")
        Self.send(good, "\n1\r\nPING\r\n*2\r\n$4\r\nHGET\r\n$4\r\nte")
        Self.send(good, "am\r\n")
        #expect(Self.receive(good, atLeast: 30) == "$7\r\nStaff 1\r\n+PONG\r\n-ERR wrong number of arguments for 'hget' command\r\n")
        // A framing error: an error reply, then this connection closes; the other goes on.
        Self.send(bad, "*1\r\n$abc\r\n")
        #expect(Self.receive(bad, atLeast: 1000) == "-ERR Protocol error: invalid bulk length\r\n")
        // A request over the size limit (a bulk length above 16 MiB) is refused the same way.
        let huge = try Self.connect(socket)
        Self.send(huge, "*2\r\n$4\r\nECHO\r\n$999999999\r\n")
        #expect(Self.receive(huge, atLeast: 1000) == "-ERR Protocol error: invalid bulk length\r\n")
        close(huge)
        Self.send(good, "HGET team T2\r\n")
        #expect(Self.receive(good, atLeast: 12) == "$6\r\nTeam 2\r\n")
        // max_connections = 3: with good and two more open, the fourth is refused.
        let second = try Self.connect(socket)
        defer { close(second) }
        Self.send(second, "PING\r\n")
        #expect(Self.receive(second, atLeast: 7) == "+PONG\r\n")
        let third = try Self.connect(socket)
        defer { close(third) }
        Self.send(third, "PING\r\n")
        #expect(Self.receive(third, atLeast: 7) == "+PONG\r\n")
        let fourth = try Self.connect(socket)
        defer { close(fourth) }
        #expect(Self.receive(fourth, atLeast: 1000) == "-ERR max number of clients reached\r\n")
        Self.send(good, "PING\r\n")
        #expect(Self.receive(good, atLeast: 7) == "+PONG\r\n", "the others stay open")
    }

    @Test func aClientThatNeverReadsCannotMakeTheDaemonBuffer() async throws {
        let (daemon, _, _) = try Self.daemon()
        try await daemon.start()
        let fd = try Self.connect(daemon.runtimeDirectory + "/lookup")
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        // 100 HMGETs of 10 ids per write: each reply is larger than its request.
        let request = String(repeating: "*12\r\n$5\r\nHMGET\r\n$4\r\nuser\r\n" + String(repeating: "$4\r\n1001\r\n", count: 10), count: 100)
        let bytes = Array(request.utf8)
        var written = 0
        var blocked = false
        while written < 256 << 20 {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EAGAIN {
                blocked = true
                break
            }
            guard n > 0 else { break }
            written += n
        }
        #expect(blocked, "the daemon kept reading \(written) bytes of requests whose replies nobody reads")
        #expect(written < 64 << 20, "it read \(written) bytes before pushing back")
        // Meanwhile others are served.
        let other = try spawnAndWait("/usr/bin/redis-cli", ["-s", daemon.runtimeDirectory + "/lookup", "HGET", "user", "1"])
        #expect(other.stdout == "Staff 1\n")
    }

    @Test func aLookupBeforeTheFirstLoadWaitsForIt() async throws {
        // The only source delivers once the file "go" exists.
        let daemon = try DaemonHarness(configuration: GatedCommand(name: "slow", value: "Late", holdWhile: nil).toml)
        try daemon.launch()
        let socket = daemon.runtimeDirectory + "/lookup"
        var listening = false
        for _ in 0..<500 where !listening {
            listening = FileManager.default.fileExists(atPath: socket)
            if !listening { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(listening, "\(daemon.log)")
        let log = daemon.directory.appendingPathComponent("redis-cli.out").path
        let client = try spawnDetached("/usr/bin/redis-cli", ["-s", socket, "HGET", "user", "1"], log: log)
        try await Task.sleep(for: .milliseconds(300))
        var status: Int32 = 0
        #expect(waitpid(client, &status, WNOHANG) == 0, "redis-cli got an answer before the first load")
        try daemon.write("go", "")
        #expect(reap(client) == 0)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "Late\n")
    }
}
