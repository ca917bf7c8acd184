#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// A throw-away PostgreSQL server for the tests: `initdb` and `pg_ctl` in a
/// temporary directory, listening only on a Unix socket there.
///
/// One server serves the whole test process; it is started on first use and
/// stopped (and its directory removed) when the process exits. As root it
/// runs as the `postgres` user (or `nobody`), since PostgreSQL refuses to run
/// as root. Its superuser is that user; `local` connections are trusted,
/// except for the role `secret_reader`, which must give its password.
final class PostgresServer: Sendable {
    let directory: String
    let superuser: String
    var socketDirectory: String { directory + "/socket" }
    let port = 5432

    /// The `url` of a source that connects to database `postgres` as `user`.
    func url(user: String? = nil, database: String = "postgres") -> String {
        "postgresql://\(user ?? superuser)@/\(database)?host=\(socketDirectory)"
    }

    nonisolated(unsafe) private static var stopAtExit: String?

    static let shared: Result<PostgresServer, any Error> = Result { try PostgresServer() }

    /// The shared server, started on first use.
    static func get() throws -> PostgresServer { try shared.get() }

    private init() throws {
        let bin = try Self.binaries()
        let owner = geteuid() == 0 ? (getpwnam("postgres") != nil ? "postgres" : "nobody") : nil
        superuser = owner ?? String(cString: getpwuid(geteuid())!.pointee.pw_name)
        var template = Array((FileManager.default.temporaryDirectory.path + "/nameindex-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw PostgresServerError(message: "mkdtemp failed") }
        directory = String(cString: made)
        chmod(directory, 0o755)
        try FileManager.default.createDirectory(atPath: directory + "/socket", withIntermediateDirectories: true)
        if let owner, let entry = getpwnam(owner) {
            for path in [directory, directory + "/socket"] { chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) }
        }
        Self.stopAtExit = "\(bin)/pg_ctl\u{0}\(directory)\u{0}\(owner ?? "")"
        atexit {
            guard let text = PostgresServer.stopAtExit else { return }
            let parts = text.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            _ = try? spawnAndWait(
                parts[0], ["stop", "-D", parts[1] + "/data", "-m", "immediate"], as: parts[2].isEmpty ? nil : parts[2])
            try? FileManager.default.removeItem(atPath: parts[1])
        }
        let initdb = try spawnAndWait(
            "\(bin)/initdb", ["-D", directory + "/data", "-U", superuser, "--auth-local=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-N"],
            as: owner)
        guard initdb.status == 0 else { throw PostgresServerError(message: "initdb failed: \(initdb.stderr)") }
        let hba = "local all secret_reader scram-sha-256\nlocal all all trust\n"
        try hba.write(toFile: directory + "/data/pg_hba.conf", atomically: false, encoding: .utf8)
        let options = "-c listen_addresses='' -c unix_socket_directories='\(directory)/socket' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        let started = try spawnAndWait(
            "\(bin)/pg_ctl", ["start", "-w", "-t", "60", "-D", directory + "/data", "-l", directory + "/server.log", "-o", options],
            as: owner)
        guard started.status == 0 else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw PostgresServerError(message: "pg_ctl start failed: \(started.stderr)\n\(log)")
        }
        try psql("CREATE ROLE secret_reader LOGIN PASSWORD 'hunter2 with spaces'; GRANT pg_read_all_data TO secret_reader;")
    }

    /// Runs `sql` with psql as the superuser; fails the caller on an SQL error.
    @discardableResult
    func psql(_ sql: String, database: String = "postgres") throws -> String {
        let result = try runProgram(
            Self.psqlPath, ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-U", superuser, "-d", database, "-c", sql])
        guard result.status == 0 else { throw PostgresServerError(message: "psql failed: \(result.stderr)") }
        return result.stdout
    }

    static var psqlPath: String { (try? binaries()).map { "\($0)/psql" } ?? "/usr/bin/psql" }

    /// The directory with initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin.
    static func binaries() throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        where FileManager.default.isExecutableFile(atPath: directory + "/initdb") {
            // Debian links only some programs onto PATH; their own directory has them all.
            return URL(fileURLWithPath: directory + "/initdb").resolvingSymlinksInPath().deletingLastPathComponent().path
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) })
        where FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/initdb") {
            return "/usr/lib/postgresql/\(version)/bin"
        }
        throw PostgresServerError(message: "initdb not found: install the Debian package 'postgresql' (scripts/setup --test does)")
    }

}

struct PostgresServerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

