import CSQLite
import Foundation
import NameIndexCore
import NameIndexSources
import Testing

/// Creates an SQLite database file by running `sql` (through SQLite itself).
func makeSQLiteDatabase(_ sql: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-\(UUID().uuidString.prefix(8)).db").path
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK else { throw SourceError(code: .io, message: "cannot create \(path)") }
    defer { sqlite3_close(db) }
    var error: UnsafeMutablePointer<CChar>?
    guard sqlite3_exec(db, sql, nil, nil, &error) == SQLITE_OK else {
        defer { sqlite3_free(error) }
        throw SourceError(code: .io, message: String(cString: error!))
    }
    return path
}

@Suite struct SQLiteSourceTests {
    func rows(_ source: SQLiteSource) async throws -> ([[String]], SkipCounts, Int) {
        var rows: [[String]] = []
        var skipped = SkipCounts()
        var batches = 0
        try await source.fetchWhole { batch in
            batches += 1
            skipped += batch.skipped
            batch.forEach { k, n in rows.append([String(decoding: k, as: UTF8.self), String(decoding: n, as: UTF8.self)]) }
        }
        return (rows, skipped, batches)
    }

    @Test func streamsTheQueryMappingEachType() async throws {
        let path = try makeSQLiteDatabase("""
            CREATE TABLE users(id, name);
            INSERT INTO users VALUES (42, 'Zoë Martin'), (-7, '王小明'), ('P-0001234-x', 'text id'),
              (9223372036854775807, 'max'), (1.5, 'real id'), (3, 12345),
              (NULL, 'no id'), (4, NULL), (5, ''), (6, X'FF');
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = SQLiteSource(name: "u", namespace: "user", path: path, query: "SELECT id, name FROM users ORDER BY rowid")
        let (rows, skipped, _) = try await self.rows(source)
        #expect(rows == [
            ["42", "Zoë Martin"], ["-7", "王小明"], ["P-0001234-x", "text id"], ["9223372036854775807", "max"],
            ["1.5", "real id"], ["3", "12345"],
        ])
        #expect(skipped == SkipCounts(null: 2, empty: 1, invalidUTF8: 1))
    }

    @Test func aFourByteCharacterAtEveryBatchBoundaryRoundTrips() async throws {
        var sql = "CREATE TABLE t(id INTEGER, name TEXT);\nBEGIN;\n"
        for i in 0..<1000 { sql += "INSERT INTO t VALUES (\(i), '🌍\(i)🌍');\n" }
        sql += "COMMIT;"
        let path = try makeSQLiteDatabase(sql)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var source = SQLiteSource(name: "t", namespace: "n", path: path, query: "SELECT id, name FROM t ORDER BY id")
        source.batchRows = 7
        let (rows, _, batches) = try await self.rows(source)
        #expect(rows == (0..<1000).map { ["\($0)", "🌍\($0)🌍"] })
        #expect(batches == 143)
    }

    @Test func errorsSayWhatIsWrong() async throws {
        let path = try makeSQLiteDatabase("CREATE TABLE t(id, name);")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cases: [(SQLiteSource, SourceError.Code, String)] = [
            (.init(name: "a", namespace: "n", path: "/nonexistent/x.db", query: "SELECT 1, 2"), .notFound, "Failed to open SQLite database '/nonexistent/x.db'"),
            (.init(name: "a", namespace: "n", path: path, query: "SELECT id, name FROM missing"), .invalidConfiguration, "no such table: missing"),
            (.init(name: "a", namespace: "n", path: path, query: "SELECT id FROM t"), .invalidConfiguration, "must return two columns"),
        ]
        for (source, code, text) in cases {
            await #expect {
                try await source.fetchWhole { _ in }
            } throws: { error in
                let error = error as? SourceError
                return error?.code == code && error?.message.contains(text) == true
            }
        }
    }
}
