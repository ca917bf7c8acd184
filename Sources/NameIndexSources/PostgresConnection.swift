import CPostgres
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection, with a thread of its own: every blocking libpq call runs on the
/// connection's one-thread pool, never on Swift's cooperative pool, and a cancelled task cancels
/// the call in progress with `PQcancel` (safe from any thread), which makes the server stop the
/// query; then the connection is closed.
///
/// The connection string is libpq's own (a URI or `key=value` pairs, several hosts,
/// `service=`, `.pgpass`, every `ssl*` option): it is handed over as it is.
final class PostgresConnection: @unchecked Sendable {
    // Touched only on `thread`, one job at a time, except `cancel`, which PQcancel allows.
    private let connection: OpaquePointer
    private let cancel: OpaquePointer?
    private let thread: NIOThreadPool
    private var closed = false

    /// The server's version, e.g. 160004 for 16.4.
    let serverVersion: Int
    /// The server process that serves this connection (`pg_stat_activity.pid`).
    let backendPID: Int32

    private init(connection: OpaquePointer, thread: NIOThreadPool) {
        self.connection = connection
        self.thread = thread
        cancel = PQgetCancel(connection)
        serverVersion = Int(PQserverVersion(connection))
        backendPID = PQbackendPID(connection)
    }

    /// Connects with libpq's `url` and the settings given (`application_name`, `client_encoding`,
    /// `password`); a setting the url names itself wins over the defaults in `defaults`.
    static func connect(url: String, defaults: [(String, String)], overrides: [(String, String)]) async throws -> PostgresConnection {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            let pointer = try await thread.runIfActive { () throws -> UInt in
                // Keywords in order: the defaults, then dbname (the url, expanded), then what must win.
                let pairs = defaults + [("dbname", url)] + overrides
                let keywords = pairs.map { strdup($0.0) } + [nil]
                let values = pairs.map { strdup($0.1) } + [nil]
                defer {
                    for p in keywords { free(p) }
                    for p in values { free(p) }
                }
                let connection = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { k in
                    values.map { UnsafePointer($0) }.withUnsafeBufferPointer { v in
                        PQconnectdbParams(k.baseAddress, v.baseAddress, 1)
                    }
                }
                guard let connection else { throw SourceError(code: .io, message: "cannot connect: out of memory") }
                guard PQstatus(connection) == CONNECTION_OK else {
                    let message = Self.message(PQerrorMessage(connection))
                    PQfinish(connection)
                    throw SourceError(code: .io, message: "cannot connect: \(message)\(Self.hint(message))")
                }
                return UInt(bitPattern: connection)
            }
            return PostgresConnection(connection: OpaquePointer(bitPattern: pointer)!, thread: thread)
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
    }

    /// Runs `body` with the connection on its thread; a cancelled task cancels the server's
    /// query (PQcancel), so a blocking call in `body` returns.
    func run<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withTaskCancellationHandler {
            try await thread.runIfActive { [self] in try body(connection) }
        } onCancel: {
            self.cancelQuery()
        }
    }

    /// Asks the server to cancel what this connection runs now (libpq's PQcancel, from any thread).
    func cancelQuery() {
        guard let cancel else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &buffer, Int32(buffer.count))
    }

    /// Closes the connection and stops its thread.
    func close() async {
        do {
            try await thread.runIfActive { [self] in finish() }
        } catch {
            // A cancelled task's job is not run; nothing else uses the connection now.
            finish()
        }
        try? await thread.shutdownGracefully()
    }

    private func finish() {
        guard !closed else { return }
        closed = true
        PQfinish(connection)
    }

    deinit {
        if let cancel { PQfreeCancel(cancel) }
        if !closed { PQfinish(connection) }
    }

    // MARK: Calls for `run`'s body (on the connection's thread)

    /// Runs `sql` and returns its rows as text; throws the server's error.
    static func query(_ connection: OpaquePointer, _ sql: String) throws -> [[String?]] {
        let result = try execute(connection, sql, expecting: [PGRES_TUPLES_OK, PGRES_COMMAND_OK])
        defer { PQclear(result) }
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    /// The types (oids) of the columns `sql` returns, without running it.
    static func columnTypes(_ connection: OpaquePointer, _ sql: String) throws -> [UInt32] {
        let prepared = try check(connection, PQprepare(connection, "", sql, 0, nil), expecting: [PGRES_COMMAND_OK])
        PQclear(prepared)
        let described = try check(connection, PQdescribePrepared(connection, ""), expecting: [PGRES_COMMAND_OK])
        defer { PQclear(described) }
        return (0..<PQnfields(described)).map { PQftype(described, $0) }
    }

    static func execute(_ connection: OpaquePointer, _ sql: String, expecting: [ExecStatusType]) throws -> OpaquePointer {
        try check(connection, PQexec(connection, sql), expecting: expecting)
    }

    static func check(_ connection: OpaquePointer, _ result: OpaquePointer?, expecting: [ExecStatusType]) throws -> OpaquePointer {
        guard let result else { throw SourceError(code: .io, message: message(PQerrorMessage(connection))) }
        guard expecting.contains(PQresultStatus(result)) else {
            let error = describe(result, connection)
            PQclear(result)
            throw SourceError(code: .io, message: error)
        }
        return result
    }

    /// The server's message of a failed result, with its SQLSTATE and detail.
    static func describe(_ result: OpaquePointer, _ connection: OpaquePointer) -> String {
        let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
        guard let primary else { return message(PQresultErrorMessage(result) ?? PQerrorMessage(connection)) }
        let detail = PQresultErrorField(result, Int32(UInt8(ascii: "D"))).map { ": " + String(cString: $0) } ?? ""
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { " (SQLSTATE \(String(cString: $0)))" } ?? ""
        return primary + detail + state
    }

    static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        var message = String(cString: text)
        while let last = message.last, last.isWhitespace { message.removeLast() }
        return message.split(separator: "\n").joined(separator: "; ")
    }

    /// What to do about a failed connection, where we know.
    static func hint(_ message: String) -> String {
        message.contains("no password supplied") ? " (set password_file or password_credential)" : ""
    }
}
