import CPostgres
import NameIndexCore

/// Rows from a query on a PostgreSQL server (`kind = "postgresql"`), through libpq.
///
/// The query's first two columns are the key and the name. The fetch describes the query,
/// then runs it as `COPY (SELECT key, name FROM (query)) TO STDOUT (FORMAT binary)`, with the
/// key cast to `int8` when it is an integer column and to `text` unless it is one, and the name
/// to `text` unless it is one; rows are parsed from libpq's buffers straight into batches
/// (``PostgresBinaryCopy``), and their count is checked against the server's `COPY n`. Each
/// connection has a thread of its own for libpq's blocking calls (``PostgresConnection``).
///
/// Placeholders in the query: `{partition}` (0-based) and `{partitions}`;
/// and `{partition_filter}`, which becomes the ``PartitionFilter`` predicate
/// of the partition. NULL keys and names are skipped and counted as empty.
public struct PostgresSource: Source {
    public let name: String
    public let namespace: String
    public var kind: String { "postgresql" }
    /// libpq's connection string, as configured (never with a password).
    public let url: PostgresConnectionString
    public let query: String
    /// How `{partition_filter}` is made; nil when the query does not use it.
    public let filter: PartitionFilter?
    /// Reads the password afresh at every fetch (a file or a credential), so a rotated secret is picked up; nil: none.
    public let password: (@Sendable () throws -> String)?
    public var batchRows = 8192
    /// `check_query`: its first value, read at every check, changes when the data does.
    public var checkQuery: String?
    /// `consistent_snapshot`: the partitions of a fetch import the snapshot of one connection
    /// that holds it open, so they read the table as of one instant.
    public var consistentSnapshot = true
    /// `delta_query`: the rows changed since `{watermark}` (key, name, deleted, watermark).
    public var deltaQuery: String?
    /// `watermark_query`: its first value is where deltas start after a full load, read inside
    /// the load's snapshot (``Prepared/startingWatermark``).
    public var watermarkQuery: String?

    public init(
        name: String, namespace: String, url: PostgresConnectionString, query: String, filter: PartitionFilter? = nil,
        password: (@Sendable () throws -> String)? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.url = url
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
        return try await withConnection { connection in
            // As text, whatever the column's type.
            let sql = "SELECT (nameindex_check.*)::text FROM (\(checkQuery)) AS nameindex_check LIMIT 1"
            return try await connection.run { try PostgresConnection.query($0, sql).first?.first ?? "" } ?? ""
        }
    }

    public func prepare(partitions: Int) async throws -> any PartitionFetcher {
        // One statement is one snapshot already; a watermark to read beside it needs one shared.
        guard partitions > 1 || watermarkQuery != nil else {
            return Prepared(source: self, filter: filter, bounds: nil, snapshot: nil, holder: nil)
        }
        let holder = try await connect()
        do {
            var snapshot: String?
            if consistentSnapshot || watermarkQuery != nil {
                do {
                    snapshot = try await holder.run { connection in
                        PQclear(try PostgresConnection.execute(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", expecting: [PGRES_COMMAND_OK]))
                        return try PostgresConnection.query(connection, "SELECT pg_export_snapshot()").first?.first ?? nil
                    }
                } catch let error as SourceError {
                    throw SourceError(
                        code: error.code,
                        message: "cannot export a snapshot for the partitions to share (\(error.message)); set consistent_snapshot = false to accept partitions read at different moments",
                        underlying: error)
                }
            }
            var filter = self.filter
            var bounds: ClosedRange<Int64>?
            var notices: [String] = []
            if let chosen = filter, chosen.method == .pages, let table = chosen.table {
                switch try await pages(of: table, on: holder) {
                case .success(let count):
                    bounds = 0...count
                case .failure(let reason):
                    guard !chosen.key.isEmpty else {
                        throw SourceError(code: .invalidConfiguration, message: "cannot split \(table.relation) by pages: \(reason); give partition_key to fall back to hash")
                    }
                    filter = PartitionFilter(method: .hash, key: chosen.key)
                    notices.append("cannot split \(table.relation) by pages (\(reason)); partitioning by hash of \(chosen.key) instead.")
                }
            }
            if let chosen = filter, chosen.method == .range {
                let sql = boundsQuery
                bounds = try await holder.run { connection in
                    guard let row = try PostgresConnection.query(connection, sql).first, row.count == 2,
                        let low = row[0].flatMap({ Int64($0) }), let high = row[1].flatMap({ Int64($0) })
                    else { return nil }
                    return low...high
                }
            }
            // The watermark as of the snapshot every partition reads: nothing falls between the two.
            var watermark: String?
            if let watermarkQuery {
                let sql = Self.watermarkStatement(watermarkQuery)
                watermark = try await holder.run { try PostgresConnection.query($0, sql).first?.first ?? nil }
            }
            guard let snapshot else {
                await holder.close()
                return Prepared(source: self, filter: filter, bounds: bounds, snapshot: nil, holder: nil, notices: notices, startingWatermark: watermark)
            }
            return Prepared(
                source: self, filter: filter, bounds: bounds, snapshot: snapshot, holder: holder, notices: notices, startingWatermark: watermark)
        } catch {
            await holder.close()
            throw labelled(error)
        }
    }

    /// Why a table cannot be split by pages, or how many pages it has now.
    private func pages(of table: PartitionFilter.PageTable, on connection: PostgresConnection) async throws -> Result<Int64, PagesRefusal> {
        guard connection.serverVersion >= 140000 else {
            return .failure(PagesRefusal(description: "PostgreSQL \(connection.serverVersion / 10000) has no TID range scans; 14 has"))
        }
        let relation = table.relation.replacing("'", with: "''")
        let sql = "SELECT c.relkind::text, pg_relation_size(c.oid) / current_setting('block_size')::int8 FROM pg_class c WHERE c.oid = '\(relation)'::regclass"
        let row = try await connection.run { try PostgresConnection.query($0, sql).first }
        guard let row, row.count == 2, let kind = row[0], let count = row[1].flatMap({ Int64($0) }) else {
            return .failure(PagesRefusal(description: "it is not a relation"))
        }
        guard kind == "r" || kind == "m" else {
            return .failure(PagesRefusal(description: "it is not a plain table or materialized view (relkind '\(kind)')"))
        }
        return .success(count)
    }

    struct PagesRefusal: Error, CustomStringConvertible {
        let description: String
    }

    /// One fetch of the source: the same filter and bounds for every partition, and the snapshot
    /// they import, held open by `holder` until every partition is done.
    final class Prepared: PartitionFetcher, @unchecked Sendable {
        let source: PostgresSource
        let filter: PartitionFilter?
        let bounds: ClosedRange<Int64>?
        let snapshot: String?
        let holder: PostgresConnection?
        let notices: [String]
        /// `watermark_query`'s value in the snapshot the partitions read.
        let startingWatermark: String?

        init(
            source: PostgresSource, filter: PartitionFilter?, bounds: ClosedRange<Int64>?, snapshot: String?,
            holder: PostgresConnection?, notices: [String] = [], startingWatermark: String? = nil
        ) {
            self.startingWatermark = startingWatermark
            self.source = source
            self.filter = filter
            self.bounds = bounds
            self.snapshot = snapshot
            self.holder = holder
            self.notices = notices
        }

        func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
            let sql = PartitionFilter.query(source.query, for: partition, filter: filter, bounds: bounds, dialect: .postgresql)
            try await source.fetch(sql, snapshot: snapshot, deliver: deliver)
        }

        func finish() async {
            await holder?.close()
        }
    }

    /// The column types that are text already, and those that are integers.
    static let textTypes: Set<UInt32> = [25, 1043, 1042, 19]  // text, varchar, bpchar, name
    static let integerTypes: Set<UInt32> = [20, 21, 23]  // int8, int2, int4

    /// `query` with `{watermark}` replaced by the watermark as an escape string literal: both
    /// `'` and `\` doubled inside `E'…'`, which means the same whatever
    /// standard_conforming_strings says (the watermark comes from the data). NUL cannot be in a
    /// PostgreSQL text value and is refused.
    public static func deltaSQL(_ query: String, watermark: String) throws -> String {
        guard !watermark.utf8.contains(0) else {
            throw SourceError(code: .invalidConfiguration, message: "a watermark with a NUL byte cannot be sent")
        }
        let literal = "E'" + watermark.replacing("\\", with: "\\\\").replacing("'", with: "''") + "'"
        return query.replacing("{watermark}", with: literal)
    }

    /// The COPY statement for `sql` whose columns have `types`, and how its key comes out; for
    /// a delta, two more columns: the deleted flag as `bool`, the watermark as `text`.
    static func copyStatement(_ sql: String, types: [UInt32], delta: Bool = false) -> (String, PostgresBinaryCopy.KeyType) {
        let key = integerTypes.contains(types[0]) ? "::int8" : textTypes.contains(types[0]) ? "" : "::text"
        let name = textTypes.contains(types[1]) ? "" : "::text"
        let columns = "nameindex_q.k\(key), nameindex_q.n\(name)" + (delta ? ", (nameindex_q.d)::bool, (nameindex_q.w)::text" : "")
        let aliases = delta ? "k, n, d, w" : "k, n"
        let statement = "COPY (SELECT \(columns) FROM (\(sql)) AS nameindex_q(\(aliases))) TO STDOUT (FORMAT binary)"
        return (statement, key == "::int8" ? .int8 : .text)
    }

    /// `watermark_query`'s first value as text.
    static func watermarkStatement(_ query: String) -> String { "SELECT (\(query))::text" }

    private func fetch(_ sql: String, snapshot: String?, delta: Bool = false, deliver: (RowBatch) async throws -> Void) async throws {
        try await withConnection { connection in
            if let snapshot {
                do {
                    try await connection.run { connection in
                        PQclear(try PostgresConnection.execute(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", expecting: [PGRES_COMMAND_OK]))
                        PQclear(try PostgresConnection.execute(connection, "SET TRANSACTION SNAPSHOT '\(snapshot)'", expecting: [PGRES_COMMAND_OK]))
                    }
                } catch let error as SourceError {
                    throw SourceError(
                        code: .sharedStateLost,
                        message: "cannot import the snapshot the partitions share (\(error.message)); the connection that held it may be gone, or a pooler runs in transaction mode; set consistent_snapshot = false to accept partitions read at different moments",
                        underlying: error)
                }
            }
            let types = try await connection.run { try PostgresConnection.columnTypes($0, sql) }
            guard types.count >= (delta ? 4 : 2) else {
                throw SourceError(
                    code: .invalidConfiguration,
                    message: delta
                        ? "the delta_query must return four columns: the key, the name, the deleted flag and the watermark"
                        : "the query must return two columns: the key, then the name")
            }
            let (statement, keyType) = Self.copyStatement(sql, types: types, delta: delta)
            try await connection.run { PQclear(try PostgresConnection.execute($0, statement, expecting: [PGRES_COPY_OUT])) }
            let stream = CopyStream(parser: PostgresBinaryCopy(keyType: keyType, delta: delta), batchRows: batchRows)
            // Double-buffered: the connection's thread reads and parses the next batch while
            // this one goes into the index; at most two batches are in flight.
            var next = try await connection.run { try stream.next($0) }
            while true {
                let (batch, done) = next
                if done {
                    if !batch.isEmpty { try await deliver(batch) }
                    return
                }
                async let following = connection.run { try stream.next($0) }
                if !batch.isEmpty { try await deliver(batch) }
                next = try await following
            }
        }
    }

    /// The COPY stream of one fetch, read a batch at a time on the connection's thread.
    private final class CopyStream: @unchecked Sendable {
        var parser: PostgresBinaryCopy
        let batchRows: Int

        init(parser: PostgresBinaryCopy, batchRows: Int) {
            self.parser = parser
            self.batchRows = batchRows
        }

        /// Reads until a batch is full or the stream ends (then checks the server's row count).
        func next(_ connection: OpaquePointer) throws -> (RowBatch, done: Bool) {
            // A local copy: the class's stored property would cost a dynamic exclusivity check
            // per message.
            var parser = self.parser
            defer { self.parser = parser }
            var batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows)
            while batch.count + batch.skipped.total < batchRows {
                var buffer: UnsafeMutablePointer<CChar>?
                let length = PQgetCopyData(connection, &buffer, 0)
                if length > 0, let buffer {
                    defer { PQfreemem(buffer) }
                    try parser.feed(UnsafeRawBufferPointer(start: buffer, count: Int(length)), into: &batch)
                    continue
                }
                try finish(connection, failed: length == -2, parser: parser)
                return (batch, true)
            }
            return (batch, false)
        }

        private func finish(_ connection: OpaquePointer, failed: Bool, parser: PostgresBinaryCopy) throws {
            let result = try PostgresConnection.check(connection, PQgetResult(connection), expecting: [PGRES_COMMAND_OK])
            let reported = Int(String(cString: PQcmdTuples(result)))
            PQclear(result)
            while let extra = PQgetResult(connection) { PQclear(extra) }
            if failed { throw SourceError(code: .io, message: PostgresConnection.message(PQerrorMessage(connection))) }
            try parser.finish()
            guard reported == parser.rows else {
                throw SourceError(
                    code: .io, message: "the server reported COPY \(reported.map(String.init) ?? "?") but sent \(parser.rows) rows")
            }
        }
    }

    private var label: String { "PostgreSQL \(url)" }

    /// Opens a connection, runs `body`, and closes it. A cancelled task cancels the query in
    /// progress (PQcancel) and then closes the connection.
    private func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect()
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw labelled(error)
        }
    }

    /// The error as the source reports it: with its label; a cancellation stays one.
    private func labelled(_ error: any Error) -> any Error {
        if Task.isCancelled || error is CancellationError { return CancellationError() }
        if let error = error as? SourceError {
            return error.message.hasPrefix(label) ? error : SourceError(code: error.code, message: "\(label): \(error.message)", underlying: error)
        }
        return SourceError(code: .io, message: "\(label): \(error)", underlying: error)
    }

    /// A new connection, with the password read now.
    private func connect() async throws -> PostgresConnection {
        let secret: String?
        do {
            secret = try password?()
        } catch {
            throw SourceError(code: .permissionDenied, message: "\(label): \(error)")
        }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                url: url.text,
                defaults: [("application_name", "nameindexd"), ("client_encoding", "UTF8"), ("connect_timeout", "10")],
                overrides: secret.map { [("password", $0)] } ?? [])
        } catch let error as SourceError {
            throw SourceError(code: error.code, message: "\(label): \(error.message)", underlying: error)
        }
        return connection
    }
}

extension PostgresSource: DeltaFetching {
    public var readsWatermarkInLoad: Bool { watermarkQuery != nil }

    public func fetchDelta(since watermark: String, deliver: (RowBatch) async throws -> Void) async throws {
        guard let deltaQuery else {
            throw SourceError(code: .invalidConfiguration, message: "Source '\(name)' has no delta_query")
        }
        try await fetch(try Self.deltaSQL(deltaQuery, watermark: watermark), snapshot: nil, delta: true, deliver: deliver)
    }

    /// Outside a load (a test, a check): the watermark now. A load reads it inside its snapshot instead.
    public func startingWatermark() async throws -> String? {
        guard let watermarkQuery else { return nil }
        let sql = Self.watermarkStatement(watermarkQuery)
        return try await withConnection { connection in
            try await connection.run { try PostgresConnection.query($0, sql).first?.first ?? nil }
        }
    }
}
