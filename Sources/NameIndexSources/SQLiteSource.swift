import CSQLite
import NameIndexCore

/// Rows from a query on an SQLite database file (`kind = "sqlite"`).
///
/// The query's first two columns are the key and the name. Rows are stepped
/// through and handed over in batches, never collected. The database is
/// opened read-only. INTEGER values become their decimal text, TEXT and BLOB
/// are used as bytes (then checked as UTF-8), REAL becomes SQLite's text form,
/// and NULL counts as empty.
public struct SQLiteSource: Source {
    public let name: String
    public let namespace: String
    public var kind: String { "sqlite" }
    /// The database file.
    public let path: String
    public let query: String
    /// Rows handed over per batch.
    public var batchRows = 8192

    public init(name: String, namespace: String, path: String, query: String) {
        self.name = name
        self.namespace = namespace
        self.path = path
        self.query = query
    }

    /// The query for `partition`, with `{partition}` (0-based) and `{partitions}` replaced by integers.
    public func query(for partition: Partition) -> String {
        query.replacing("{partitions}", with: String(partition.count)).replacing("{partition}", with: String(partition.index))
    }

    public func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
        var db: OpaquePointer?
        let opened = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        defer { sqlite3_close_v2(db) }
        guard opened == SQLITE_OK, let db else {
            throw SourceError(code: opened == SQLITE_CANTOPEN ? .notFound : .io, message: "Failed to open SQLite database '\(path)': \(Self.message(db, opened))")
        }
        sqlite3_busy_timeout(db, 5_000)
        var statement: OpaquePointer?
        let prepared = sqlite3_prepare_v2(db, query(for: partition), -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        guard prepared == SQLITE_OK, let statement else {
            throw SourceError(code: .invalidConfiguration, message: "Failed to prepare the query of '\(path)': \(Self.message(db, prepared))")
        }
        guard sqlite3_column_count(statement) >= 2 else {
            throw SourceError(code: .invalidConfiguration, message: "The query of '\(path)' must return two columns: the key, then the name")
        }
        var batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows)
        var scratch = [UInt8](repeating: 0, count: 24)
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                throw SourceError(code: .io, message: "Failed to read from '\(path)': \(Self.message(db, step))")
            }
            scratch.withUnsafeMutableBytes { scratch in
                let key = Self.column(statement, 0, scratch: scratch)
                let name = Self.column(statement, 1, scratch: UnsafeMutableRawBufferPointer(start: nil, count: 0))
                batch.appendIfValid(key: key, name: name)
            }
            if batch.count + batch.skipped.total >= batchRows {
                try Task.checkCancellation()
                try await deliver(batch)
                batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows)
            }
        }
        if !batch.isEmpty { try await deliver(batch) }
    }

    /// A column's bytes, valid until the next step: integers are written into `scratch` as text.
    private static func column(_ statement: OpaquePointer, _ index: Int32, scratch: UnsafeMutableRawBufferPointer)
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

    private static func message(_ db: OpaquePointer?, _ code: Int32) -> String {
        if let db, let text = sqlite3_errmsg(db) { return String(cString: text) }
        return String(cString: sqlite3_errstr(code))
    }
}
