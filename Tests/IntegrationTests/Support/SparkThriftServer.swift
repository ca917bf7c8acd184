#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexCore
import NameIndexSources

/// A real HiveServer2 for the tests: Spark's Thrift server from the PyPI package `pyspark`
/// (scripts/setup --test installs it), in local mode, listening on 127.0.0.1 only, with its
/// metastore and warehouse in a temporary directory.
///
/// One server serves the whole test process: it is started on first use (20-30 s), its
/// tables are created once, and its process group is killed (and its directory removed)
/// when the process exits.
final class SparkThriftServer: Sendable {
    let directory: String
    let port: Int
    let sparkHome: String
    var url: String { "jdbc:hive2://127.0.0.1:\(port)/default" }
    var beeline: String { sparkHome + "/bin/beeline" }

    /// The recipe of the README: beeline quiet, one column of JSON per row, no header.
    static let beelineFlags = ["--silent=true", "--outputformat=tsv2", "--showHeader=false"]
    /// What beeline prints before the first row: its prompt.
    static let prompt = #"^[0-9]+: jdbc:[^ ]*> "#

    nonisolated(unsafe) private static var stopAtExit: (pid_t, String)?

    static let shared: Result<SparkThriftServer, any Error> = Result { try SparkThriftServer() }

    /// The shared server, started (and its tables created) on first use, on a thread of its
    /// own: starting takes half a minute, which must not hold the cooperative pool.
    static func get() async throws -> SparkThriftServer { try await offPool { try shared.get() } }

    private init() throws {
        let found = try runProgram("/usr/bin/env", ["python3", "-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"])
        guard found.status == 0 else {
            throw SpawnError(message: "pyspark is not installed (scripts/setup --test installs it): \(found.stderr)")
        }
        sparkHome = found.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var template = Array((FileManager.default.temporaryDirectory.path + "/nameindex-spark-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw SpawnError(message: "mkdtemp failed") }
        directory = String(cString: made)
        port = try freeLocalPort()
        let log = directory + "/server.log"
        // setsid: the server leads a process group of its own, killed whole at exit.
        let pid = try spawnDetached(
            "/usr/bin/setsid",
            [
                "/usr/bin/env", "SPARK_LOCAL_IP=127.0.0.1", "SPARK_LOG_DIR=\(directory)", "SPARK_HOME=\(sparkHome)",
                sparkHome + "/bin/spark-submit", "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
                "--master", "local[2]", "--driver-memory", "1g",
                "--conf", "spark.sql.warehouse.dir=\(directory)/warehouse", "--conf", "spark.ui.enabled=false",
                "--conf", "spark.sql.shuffle.partitions=2",
                "--driver-java-options", "-Dderby.system.home=\(directory)/derby",
                "--hiveconf", "hive.server2.thrift.port=\(port)", "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
                "spark-internal",
            ],
            log: log)
        Self.stopAtExit = (pid, directory)
        atexit {
            guard let (pid, directory) = SparkThriftServer.stopAtExit else { return }
            kill(-pid, SIGKILL)
            try? FileManager.default.removeItem(atPath: directory)
        }
        // Its log says when it listens; a server that died says why.
        let deadline = Date().addingTimeInterval(300)
        while true {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if text.contains("HiveThriftServer2 started") { break }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid || Date() > deadline {
                throw SpawnError(message: "the Spark Thrift server did not start:\n\(text.suffix(3000))")
            }
            usleep(100_000)
        }
        try blockingSQL(Self.tables)
    }

    /// Runs `sql` (statements separated by `;`) through beeline, off the cooperative pool;
    /// fails on an error.
    @discardableResult
    func sql(_ sql: String) async throws -> String {
        try await offPool { try self.blockingSQL(sql) }
    }

    private func blockingSQL(_ sql: String) throws -> String {
        let result = try runProgram(beeline, ["-u", url] + Self.beelineFlags + ["-e", sql])
        guard result.status == 0 else { throw SpawnError(message: "beeline failed: \(result.stderr.suffix(3000))") }
        return result.stdout
    }

    /// The argv of a `command` source or check through beeline, the README's recipe.
    func command(_ query: String, url: String? = nil) -> [String] {
        [beeline, "-u", url ?? self.url] + Self.beelineFlags + ["-e", query]
    }

    // MARK: The tables, and what they hold

    static let rowCount = 20_000

    /// `wh_names`: ids 0..<20000 with NULL ids, NULL and empty names, and names holding
    /// quotes, backslashes, tabs, line breaks, CJK, emoji and the text NULL (see ``expectedName(_:)``).
    static let tables = """
        CREATE TABLE wh_names USING parquet AS
        SELECT CASE WHEN id % 1000 = 999 THEN NULL ELSE id END AS id,
          CASE WHEN id % 100 = 7 THEN NULL WHEN id % 100 = 8 THEN '' WHEN id % 100 = 9 THEN 'NULL'
            ELSE concat('n', id, element_at(array(' plain', concat(' ', chr(34), 'quoted', chr(34)),
              concat(' back', chr(92), 'slash'), concat(' tab', chr(9), 'here'), concat(' line', chr(10), 'break'),
              concat(' cr', chr(13), chr(10), 'lf'), ' 名前', ' 🎉 emoji', ' comma, x', ' NULL'), CAST(id % 10 AS INT) + 1))
          END AS name
        FROM range(0, \(rowCount));
        CREATE TABLE wh_version (v BIGINT) USING parquet;
        INSERT INTO wh_version VALUES (1)
        """

    static let variants = [
        " plain", " \"quoted\"", " back\\slash", " tab\there", " line\nbreak", " cr\r\nlf", " 名前", " 🎉 emoji", " comma, x", " NULL",
    ]

    /// The name row `id` of `wh_names` has: nil for NULL.
    static func expectedName(_ id: Int) -> String? {
        switch id % 100 {
        case 7: nil
        case 8: ""
        case 9: "NULL"
        default: "n\(id)" + variants[id % 10]
        }
    }

    /// The rows a source loads from `wh_names` (NULL ids and names and empty names skipped), sorted.
    static var expectedRows: [[String]] {
        (0..<rowCount).compactMap { id in
            guard id % 1000 != 999, let name = expectedName(id), !name.isEmpty else { return nil }
            return ["\(id)", name]
        }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// What those skipped rows count as.
    static var expectedSkips: SkipCounts {
        var skips = SkipCounts()
        for id in 0..<rowCount {
            if id % 1000 == 999 || expectedName(id) == nil { skips.null += 1 } else if expectedName(id) == "" { skips.empty += 1 }
        }
        return skips
    }

    /// The query of the README's recipe over `wh_names`: one JSON object per row.
    static func jsonQuery(partitioned: Bool) -> String {
        "SELECT to_json(named_struct('id', id, 'name', name)) FROM wh_names"
            + (partitioned ? " WHERE pmod(hash(id), {partitions}) = {partition}" : "")
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on now.
func freeLocalPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SpawnError(message: "socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw SpawnError(message: "bind failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
