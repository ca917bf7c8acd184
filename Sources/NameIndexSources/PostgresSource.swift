import Logging
import NameIndexCore
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// Rows from a query on a PostgreSQL server (`kind = "postgresql"`), through PostgresNIO.
///
/// The query's first two columns are the key and the name. Rows stream from
/// the socket into batches; PostgresNIO reads from the server only as fast
/// as batches are taken, so memory stays bounded whatever the table's size.
///
/// Placeholders in the query: `{partition}` (0-based) and `{partitions}`;
/// and `{partition_filter}`, which becomes the ``PartitionFilter`` predicate
/// of the partition. Integer columns (`int2`, `int4`, `int8`) become their
/// decimal text, `uuid` its canonical text, `text`, `varchar`, `bpchar` and
/// `name` their bytes; NULL counts as empty. Other types are refused with a
/// message that says to cast them to text in the query.
public struct PostgresSource: Source {
    public let name: String
    public let namespace: String
    public var kind: String { "postgresql" }
    public let location: PostgresLocation
    public let query: String
    /// How `{partition_filter}` is made; nil when the query does not use it.
    public let filter: PartitionFilter?
    /// Reads the password afresh at every fetch (a file or a credential), so a rotated secret is picked up; nil: none.
    public let password: (@Sendable () throws -> String)?
    public var batchRows = 8192
    /// `check_query`: its first value, read at every check, changes when the data does.
    public var checkQuery: String?

    public init(
        name: String, namespace: String, location: PostgresLocation, query: String, filter: PartitionFilter? = nil,
        password: (@Sendable () throws -> String)? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.location = location
        self.query = query
        self.filter = filter
        self.password = password
    }

    /// The query of `partition`, with its placeholders replaced.
    public func query(for partition: Partition, bounds: ClosedRange<Int64>?) -> String {
        PartitionFilter.query(query, for: partition, filter: filter, bounds: bounds, dialect: .postgresql)
    }

    /// The query that reads the bounds of a range-partitioned fetch: min and max of the query's first column.
    public var boundsQuery: String {
        let whole = query(for: .whole, bounds: nil)  // the filter of a single partition is TRUE
        return "SELECT min(nameindex_bounds.k)::int8, max(nameindex_bounds.k)::int8 FROM (\(whole)) AS nameindex_bounds(k)"
    }

    public func changeToken() async throws -> String? {
        guard let checkQuery else { return nil }
        return try await withConnection { connection, logger in
            // As text, whatever the column's type.
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT (nameindex_check.*)::text FROM (\(checkQuery)) AS nameindex_check LIMIT 1"),
                logger: logger)
            for try await row in rows { return try row.decode(String?.self) ?? "" }
            return ""
        }
    }

    public func prepare(partitions: Int) async throws -> any PartitionFetcher {
        guard partitions > 1, let filter, filter.method == .range else { return Prepared(source: self, bounds: nil) }
        let bounds: ClosedRange<Int64>? = try await withConnection { connection, logger in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: boundsQuery), logger: logger)
            for try await row in rows {
                let (low, high) = try row.decode((Int64?, Int64?).self)
                guard let low, let high else { return nil }
                return low...high
            }
            return nil
        }
        return Prepared(source: self, bounds: bounds)
    }

    /// One fetch of the source: the same bounds for every partition.
    struct Prepared: PartitionFetcher {
        let source: PostgresSource
        let bounds: ClosedRange<Int64>?

        func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
            try await source.fetch(source.query(for: partition, bounds: bounds), deliver: deliver)
        }
    }

    private func fetch(_ sql: String, deliver: (RowBatch) async throws -> Void) async throws {
        try await withConnection { connection, logger in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            var batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows)
            var checked = false
            // Integers and UUIDs are formatted as text here, one area for the key and one for the name.
            var scratch = [UInt8](repeating: 0, count: 80)
            for try await row in rows {
                var cells = row.makeIterator()
                guard let key = cells.next(), let name = cells.next() else {
                    throw SourceError(code: .invalidConfiguration, message: "\(label): the query must return two columns: the key, then the name")
                }
                if !checked {
                    try Self.check(key, label: label)
                    try Self.check(name, label: label)
                    checked = true
                }
                try scratch.withUnsafeMutableBytes { scratch in
                    try Self.withBytes(of: key, scratch: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<40])) { key in
                        try Self.withBytes(of: name, scratch: UnsafeMutableRawBufferPointer(rebasing: scratch[40..<80])) { name in
                            batch.appendIfValid(key: key, name: name)
                        }
                    }
                }
                if batch.count + batch.skipped.total >= batchRows {
                    try await deliver(batch)
                    batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows)
                }
            }
            if !batch.isEmpty { try await deliver(batch) }
        }
    }

    private var label: String { "PostgreSQL \(location.description)" }

    /// Opens a connection, runs `body`, and closes it; a cancelled task closes it at once, which ends the query.
    private func withConnection<T: Sendable>(
        _ body: (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "nameindex.postgresql")
        logger.logLevel = .critical  // errors are reported by the fetch engine, with the source's name
        let configuration = try configuration()
        let connection: PostgresConnection
        do {
            // next(), not the default any(): connections spread over the event loops instead of sharing one.
            connection = try await PostgresConnection.connect(
                on: PostgresConnection.defaultEventLoopGroup.next(), configuration: configuration, id: 1, logger: logger)
        } catch {
            throw SourceError(code: .io, message: "\(label): cannot connect: \(Self.describe(error))", underlying: error)
        }
        do {
            // The server process serving this connection: a cancelled fetch also cancels its query,
            // as libpq's PQcancel does, since a busy server notices a closed connection only when
            // it next sends something.
            var pid: Int32?
            for try await row in try await connection.query("SELECT pg_backend_pid()", logger: logger) {
                pid = try row.decode(Int32.self)
            }
            let backend = pid
            let quiet = logger
            let result = try await withTaskCancellationHandler {
                try await body(connection, logger)
            } onCancel: {
                connection.close().whenComplete { _ in }
                if let backend { cancelQuery(backend: backend, configuration: configuration, logger: quiet) }
            }
            try? await connection.close()
            return result
        } catch let error as SourceError {
            try? await connection.close()
            throw error
        } catch {
            try? await connection.close()
            if Task.isCancelled { throw CancellationError() }
            throw SourceError(code: .io, message: "\(label): \(Self.describe(error))", underlying: error)
        }
    }

    /// Asks the server, on a connection of its own, to cancel the query of process `backend`.
    /// Best effort and detached: the fetch that is cancelled does not wait for it.
    private func cancelQuery(backend: Int32, configuration: PostgresConnection.Configuration, logger: Logger) {
        Task.detached {
            guard
                let connection = try? await PostgresConnection.connect(
                    on: PostgresConnection.defaultEventLoopGroup.next(), configuration: configuration, id: 2, logger: logger)
            else { return }
            _ = try? await connection.query("SELECT pg_cancel_backend(\(backend))", logger: logger).collect()
            try? await connection.close()
        }
    }

    private func configuration() throws -> PostgresConnection.Configuration {
        let secret: String?
        do {
            secret = try password?()
        } catch {
            throw SourceError(code: .permissionDenied, message: "\(label): \(error)")
        }
        var configuration: PostgresConnection.Configuration
        if location.isUnixSocket {
            configuration = .init(
                unixSocketPath: location.socketPath, username: location.user, password: secret, database: location.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            do {
                tls = try Self.tls(location.sslMode, host: location.host)
            } catch {
                throw SourceError(code: .invalidConfiguration, message: "\(label): cannot set up TLS: \(error)")
            }
            configuration = .init(
                host: location.host, port: location.port, username: location.user, password: secret,
                database: location.database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(Int64(location.connectTimeout ?? 10))
        configuration.options.additionalStartupParameters = [("application_name", location.applicationName)]
        return configuration
    }

    private static func tls(_ mode: PostgresLocation.SSLMode, host: String) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return .disable
        case .prefer, .require: tls.certificateVerification = .none  // libpq: encrypted, not verified
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        let context = try NIOSSLContext(configuration: tls)
        return mode == .prefer ? .prefer(context) : .require(context)
    }

    /// Refuses a column type this source does not turn into text itself.
    private static func check(_ cell: PostgresCell, label: String) throws {
        if cell.format == .text { return }
        switch cell.dataType {
        case .int2, .int4, .int8, .text, .varchar, .bpchar, .name, .uuid: return
        default:
            throw SourceError(
                code: .invalidConfiguration,
                message: "\(label): column '\(cell.columnName)' has type \(cell.dataType); cast it to text in the query (\(cell.columnName)::text)")
        }
    }

    /// A cell's value as text bytes: integers and UUIDs are formatted into `scratch`.
    private static func withBytes<R>(
        of cell: PostgresCell, scratch: UnsafeMutableRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        guard let buffer = cell.bytes else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try buffer.withUnsafeReadableBytes { bytes in
            guard cell.format == .binary, scratch.count >= 36 else { return try body(bytes) }
            let value: Int64
            switch (cell.dataType, bytes.count) {
            case (.int8, 8): value = Int64(bigEndian: bytes.loadUnaligned(as: Int64.self))
            case (.int4, 4): value = Int64(Int32(bigEndian: bytes.loadUnaligned(as: Int32.self)))
            case (.int2, 2): value = Int64(Int16(bigEndian: bytes.loadUnaligned(as: Int16.self)))
            case (.uuid, 16):
                let hex = Array("0123456789abcdef".utf8)
                var out = 0
                for (i, byte) in bytes.enumerated() {
                    if i == 4 || i == 6 || i == 8 || i == 10 {
                        scratch[out] = UInt8(ascii: "-")
                        out += 1
                    }
                    scratch[out] = hex[Int(byte >> 4)]
                    scratch[out + 1] = hex[Int(byte & 15)]
                    out += 2
                }
                return try body(UnsafeRawBufferPointer(rebasing: scratch[0..<36]))
            default: return try body(bytes)
            }
            let length = CanonicalInteger.write(value, into: scratch)
            return try body(UnsafeRawBufferPointer(rebasing: scratch[0..<length]))
        }
    }

    /// PSQLError hides its details from `description`; this names the server's message and code.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo, let message = info[.message] {
            let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            let detail = info[.detail].map { ": \($0)" } ?? ""
            return "\(message)\(detail)\(state)"
        }
        switch error.code {
        case .serverClosedConnection: return "the server closed the connection"
        case .clientClosedConnection: return "the connection was closed"
        case .connectionError: return "connection error: \(error.underlying.map { "\($0)" } ?? "unknown")"
        case .sslUnsupported: return "the server does not support TLS (sslmode=require)"
        case .authMechanismRequiresPassword: return "the server asks for a password; set password_file or password_credential"
        default:
            return "\(error.code)\(error.underlying.map { ": \($0)" } ?? "")"
        }
    }
}
