import CSQLite
import NIOPosix
import NameIndexCore

/// Rows from a query on an SQLite database file (`kind = "sqlite"`).
///
/// The query's first two columns are the key and the name. Rows are stepped
/// through and handed over in batches, never collected. The database is
/// opened read-only. INTEGER values become their decimal text, TEXT and BLOB
/// are used as bytes (then checked as UTF-8), REAL becomes SQLite's text form,
/// and NULL is counted as NULL.
public struct SQLiteSource: Source {
    public let name: String
    public let namespace: String
    public var kind: String { "sqlite" }
    /// The database file.
    public let path: String
    public let query: String
    /// How `{partition_filter}` is made; nil when the query does not use it.
    public let filter: PartitionFilter?
    /// `check_query`: its first value, read at every check, changes when the data does.
    public var checkQuery: String?
    /// Rows handed over per batch.
    public var batchRows = 8192
    /// `delta_query`: the rows changed since `{watermark}` (key, name, deleted, watermark).
    public var deltaQuery: String?
    /// `watermark_query`: its first value is where deltas start after a full load.
    public var watermarkQuery: String?

    public init(
        name: String, namespace: String, path: String, query: String, filter: PartitionFilter? = nil,
        checkQuery: String? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.path = path
        self.query = query
        self.filter = filter
        self.checkQuery = checkQuery
    }

    public func changeToken() async throws -> String? {
        guard let checkQuery else { return nil }
        return try firstValue(checkQuery, what: "check_query") ?? ""
    }

    /// The query for `partition`: `{partition}` (0-based) and `{partitions}` replaced by integers,
    /// `{partition_filter}` by the partition's predicate.
    public func query(for partition: Partition, bounds: ClosedRange<Int64>? = nil) -> String {
        PartitionFilter.query(query, for: partition, filter: filter, bounds: bounds, dialect: .sqlite)
    }

    public func prepare(partitions: Int) async throws -> any PartitionFetcher {
        guard partitions > 1, let filter, filter.method == .range else { return Prepared(source: self, bounds: nil) }
        return Prepared(source: self, bounds: try readBounds())
    }

    /// One fetch of the source: the same bounds for every partition.
    struct Prepared: PartitionFetcher {
        let source: SQLiteSource
        let bounds: ClosedRange<Int64>?

        func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
            try await source.fetch(source.query(for: partition, bounds: bounds), deliver: deliver)
        }
    }

    /// min and max of the query's first column, over the whole source; nil when it has no rows.
    private func readBounds() throws -> ClosedRange<Int64>? {
        let whole = query(for: .whole)
        let db = try Database(path: path)
        let column = try db.statement(whole) { sqlite3_column_name($0, 0).map { String(cString: $0) } ?? "" }
        let quoted = "\"" + column.replacing("\"", with: "\"\"") + "\""
        return try db.statement("SELECT min(\(quoted)), max(\(quoted)) FROM (\(whole))") { statement in
            let step = sqlite3_step(statement)
            guard step == SQLITE_ROW else {
                throw SourceError(code: .io, message: "Failed to read the key bounds from '\(path)': \(db.message(step))")
            }
            if sqlite3_column_type(statement, 0) == SQLITE_NULL { return nil }
            guard sqlite3_column_type(statement, 0) == SQLITE_INTEGER, sqlite3_column_type(statement, 1) == SQLITE_INTEGER else {
                throw SourceError(
                    code: .invalidConfiguration,
                    message: "partition_by = \"range\" needs integer keys, but the first column of the query on '\(path)' is not an integer")
            }
            return sqlite3_column_int64(statement, 0)...sqlite3_column_int64(statement, 1)
        }
    }

    /// The delta query with `{watermark}` as the bound parameter `?1` (never spliced into the SQL:
    /// a watermark comes from the data).
    public static func deltaStatement(_ query: String) -> String { query.replacing("{watermark}", with: "?1") }

    /// The first value `sql` returns, as text; nil for no row or NULL.
    private func firstValue(_ sql: String, what: String) throws -> String? {
        let db = try Database(path: path)
        return try db.statement(sql) { statement in
            let step = sqlite3_step(statement)
            guard step == SQLITE_ROW || step == SQLITE_DONE else {
                throw SourceError(code: .io, message: "Failed to run the \(what) on '\(path)': \(db.message(step))")
            }
            guard step == SQLITE_ROW, sqlite3_column_type(statement, 0) != SQLITE_NULL else { return nil }
            var scratch = [UInt8](repeating: 0, count: 24)
            return scratch.withUnsafeMutableBytes { String(decoding: SQLiteSource.column(statement, 0, scratch: $0), as: UTF8.self) }
        }
    }

    /// An open, read-only database connection, closed when the last reference goes.
    final class Database {
        let handle: OpaquePointer
        let path: String

        init(path: String) throws {
            self.path = path
            var db: OpaquePointer?
            let opened = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
            guard opened == SQLITE_OK, let db else {
                let message = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(opened))
                sqlite3_close_v2(db)
                throw SourceError(
                    code: opened == SQLITE_CANTOPEN ? .notFound : .io, message: "Failed to open SQLite database '\(path)': \(message)")
            }
            handle = db
            sqlite3_busy_timeout(db, 5_000)
            // The hash behind partition_by = "hash": NameHash of the value's text, as a non-negative integer.
            sqlite3_create_function_v2(
                db, "nameindex_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
                { context, _, values in
                    guard let value = values?[0], sqlite3_value_type(value) != SQLITE_NULL else {
                        sqlite3_result_null(context)
                        return
                    }
                    let text = sqlite3_value_text(value)
                    let bytes = UnsafeRawBufferPointer(start: text, count: Int(sqlite3_value_bytes(value)))
                    sqlite3_result_int64(context, Int64(NameHash.hash(bytes) >> 1))
                }, nil, nil, nil)
        }

        deinit { sqlite3_close_v2(handle) }

        func message(_ code: Int32) -> String {
            if let text = sqlite3_errmsg(handle) { return String(cString: text) }
            return String(cString: sqlite3_errstr(code))
        }

        /// Prepares `sql`, runs `body` on the statement, and finalizes it.
        func statement<T>(_ sql: String, _ body: (OpaquePointer) throws -> T) throws -> T {
            let statement = try prepare(sql)
            defer { sqlite3_finalize(statement) }
            return try body(statement)
        }

        /// A prepared statement the caller finalizes.
        func prepare(_ sql: String) throws -> OpaquePointer {
            var statement: OpaquePointer?
            let prepared = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
            guard prepared == SQLITE_OK, let statement else {
                sqlite3_finalize(statement)
                throw SourceError(code: .invalidConfiguration, message: "Failed to prepare the query of '\(path)': \(message(prepared))")
            }
            return statement
        }
    }

    /// Steps through `sql` a batch at a time, each batch on the blocking thread pool: a step
    /// can take long (the first row of a sort, a lock held by a writer for up to the busy
    /// timeout), and the cooperative pool serves the sockets and the watchdog probe.
    /// Cancelling interrupts the step in progress (`sqlite3_interrupt`).
    private func fetch(_ sql: String, watermark: String? = nil, deliver: (RowBatch) async throws -> Void) async throws {
        let pool = NIOThreadPool.singleton
        let path = self.path
        let cursor = try await pool.runIfActive { try Cursor(path: path, sql: sql, watermark: watermark) }
        let batchRows = self.batchRows
        while true {
            try Task.checkCancellation()
            let (batch, done) = try await withTaskCancellationHandler {
                try await pool.runIfActive { try cursor.next(batchRows) }
            } onCancel: {
                cursor.interrupt()
            }
            if !batch.isEmpty { try await deliver(batch) }
            if done { break }
        }
    }

    /// A prepared statement being stepped through; used by one thread at a time (the
    /// connection is opened `NOMUTEX`, which SQLite allows across threads when not at once).
    final class Cursor: @unchecked Sendable {
        let db: Database
        let statement: OpaquePointer
        private var scratch = [UInt8](repeating: 0, count: 48)
        /// Rows stepped so far, for the skipped rows' locations.
        private var rowsRead = 0
        /// A delta: four columns (key, name, deleted, watermark), the watermark bound to `?1`.
        let delta: Bool

        init(path: String, sql: String, watermark: String? = nil) throws {
            db = try Database(path: path)
            statement = try db.prepare(sql)
            delta = watermark != nil
            // Thrown with every property set, so deinit still runs and finalizes the statement.
            if let watermark {
                guard sqlite3_column_count(statement) >= 4 else {
                    throw SourceError(
                        code: .invalidConfiguration,
                        message: "The delta_query of '\(path)' must return four columns: the key, the name, the deleted flag and the watermark")
                }
                if sqlite3_bind_parameter_count(statement) >= 1 {
                    // SQLITE_TRANSIENT: SQLite copies the text.
                    sqlite3_bind_text(statement, 1, watermark, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
                }
            } else {
                guard sqlite3_column_count(statement) >= 2 else {
                    throw SourceError(code: .invalidConfiguration, message: "The query of '\(path)' must return two columns: the key, then the name")
                }
            }
        }

        deinit { sqlite3_finalize(statement) }

        /// Stops the step in progress, from any thread.
        func interrupt() { sqlite3_interrupt(db.handle) }

        /// Up to `rows` rows (and their skips); whether the query is done.
        func next(_ rows: Int) throws -> (RowBatch, Bool) {
            var batch = RowBatch(reservingBytes: rows * 40, rows: rows)
            while batch.count + batch.skipped.total < rows {
                let step = sqlite3_step(statement)
                if step == SQLITE_DONE { return (batch, true) }
                guard step == SQLITE_ROW else {
                    if step == SQLITE_INTERRUPT { throw CancellationError() }
                    throw SourceError(code: .io, message: "Failed to read from '\(db.path)': \(db.message(step))")
                }
                rowsRead += 1
                let here = RowLocator(row: rowsRead)
                if delta {
                    deltaRow(into: &batch, at: here)
                    continue
                }
                if sqlite3_column_type(statement, 0) == SQLITE_NULL || sqlite3_column_type(statement, 1) == SQLITE_NULL {
                    nullRow(into: &batch, at: here)
                    continue
                }
                scratch.withUnsafeMutableBytes { scratch in
                    let key = SQLiteSource.column(statement, 0, scratch: scratch)
                    let name = SQLiteSource.column(statement, 1, scratch: UnsafeMutableRawBufferPointer(start: nil, count: 0))
                    batch.appendIfValid(key: key, name: name, at: here)
                }
            }
            return (batch, false)
        }

        /// The current row of a delta: NULL key is a NULL skip; a deleted flag that is neither
        /// true nor false (INTEGER: non-zero is true) is malformed; NULL deleted is false.
        private func deltaRow(into batch: inout RowBatch, at here: RowLocator) {
            guard sqlite3_column_type(statement, 0) != SQLITE_NULL else {
                nullRow(into: &batch, at: here)
                return
            }
            let deleted: Bool?
            switch sqlite3_column_type(statement, 2) {
            case SQLITE_NULL: deleted = false
            case SQLITE_INTEGER: deleted = sqlite3_column_int64(statement, 2) != 0
            default: deleted = Watermark.isDeleted(SQLiteSource.column(statement, 2, scratch: UnsafeMutableRawBufferPointer(start: nil, count: 0)))
            }
            guard let deleted else {
                scratch.withUnsafeMutableBytes { scratch in
                    let key = SQLiteSource.column(statement, 0, scratch: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<24]))
                    batch.skip(.malformed, raw: nil, key: key, at: here)
                }
                return
            }
            scratch.withUnsafeMutableBytes { scratch in
                let key = SQLiteSource.column(statement, 0, scratch: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<24]))
                let name = sqlite3_column_type(statement, 1) == SQLITE_NULL
                    ? nil : SQLiteSource.column(statement, 1, scratch: UnsafeMutableRawBufferPointer(start: nil, count: 0))
                let watermark = sqlite3_column_type(statement, 3) == SQLITE_NULL
                    ? nil : SQLiteSource.column(statement, 3, scratch: UnsafeMutableRawBufferPointer(rebasing: scratch[24..<48]))
                batch.appendDelta(key: key, name: name, deleted: deleted, watermark: watermark, at: here)
            }
        }

        /// Skips the current row for a NULL key or name; the sample shows the column that is not NULL.
        private func nullRow(into batch: inout RowBatch, at here: RowLocator) {
            scratch.withUnsafeMutableBytes { scratch in
                let key = sqlite3_column_type(statement, 0) == SQLITE_NULL
                    ? nil : SQLiteSource.column(statement, 0, scratch: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<24]))
                let name = sqlite3_column_type(statement, 1) == SQLITE_NULL
                    ? nil : SQLiteSource.column(statement, 1, scratch: UnsafeMutableRawBufferPointer(start: nil, count: 0))
                batch.skip(.null, raw: nil, key: key, name: name, at: here)
            }
        }
    }

    /// A column's bytes, valid until the next step: integers are written into `scratch` as text.
    static func column(_ statement: OpaquePointer, _ index: Int32, scratch: UnsafeMutableRawBufferPointer)
        -> UnsafeRawBufferPointer
    {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_NULL:
            return UnsafeRawBufferPointer(start: nil, count: 0)
        case SQLITE_INTEGER where scratch.count >= 20:
            let length = CanonicalInteger.write(sqlite3_column_int64(statement, index), into: scratch)
            return UnsafeRawBufferPointer(rebasing: scratch[0..<length])
        case SQLITE_BLOB:
            let bytes = sqlite3_column_blob(statement, index)
            return UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, index)))
        default:  // TEXT, REAL (as SQLite's text), and INTEGER names
            let text = sqlite3_column_text(statement, index)
            return UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, index)))
        }
    }
}

extension SQLiteSource: DeltaFetching {
    public func fetchDelta(since watermark: String, deliver: (RowBatch) async throws -> Void) async throws {
        guard let deltaQuery else {
            throw SourceError(code: .invalidConfiguration, message: "Source '\(name)' has no delta_query")
        }
        try await fetch(Self.deltaStatement(deltaQuery), watermark: watermark, deliver: deliver)
    }

    public func startingWatermark() async throws -> String? {
        guard let watermarkQuery else { return nil }
        let query = watermarkQuery
        return try await NIOThreadPool.singleton.runIfActive { try self.firstValue(query, what: "watermark_query") }
    }
}
