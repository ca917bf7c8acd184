import Foundation
import NameIndexCore
import NameIndexSources
import Testing

/// The same exactness over SQLite, whose hash predicate calls the function the source registers.
@Suite struct SQLitePartitionTests {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-part-\(UUID().uuidString.prefix(8)).db").path
        var sql = "CREATE TABLE ints(id INTEGER, name TEXT); CREATE TABLE texts(id TEXT, name TEXT); BEGIN;\n"
        for g in 0..<1000 { sql += "INSERT INTO ints VALUES (\(g * 7 - 3500), 'n\(g)'), (NULL, 'x'), ('T-\(g)', 'text \(g)');\n" }
        sql += "INSERT INTO ints VALUES (-9223372036854775808, 'min'), (9223372036854775807, 'max');\n"
        for g in 0..<700 { sql += "INSERT INTO texts VALUES ('P-\(g)-é', 'Name \(g)');\n" }
        sql += "COMMIT;"
        let result = try runProgram("/usr/bin/env", ["sqlite3", path, sql])
        try #require(result.status == 0, "sqlite3: \(result.stderr)")
    }

    func source(_ query: String, _ method: PartitionFilter.Method?) -> SQLiteSource {
        SQLiteSource(name: "s", namespace: "n", path: path, query: query, filter: method.map { PartitionFilter(method: $0, key: "id") })
    }

    @Test(arguments: [PartitionFilter.Method.hash, .range], [1, 2, 7, 16])
    func everyRowExactlyOnce(method: PartitionFilter.Method, partitions: Int) async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Range bounds need integer keys: the text ids stay out of the range test.
        let query = method == .range ? "SELECT id, name FROM ints WHERE typeof(id) <> 'text'" : "SELECT id, name FROM ints WHERE 1"
        let whole = try await fetchAll(source(query, nil), partitions: 1)
        #expect(whole.rows.count == (method == .range ? 1002 : 2002))
        let split = try await fetchAll(source(query + " AND {partition_filter}", method), partitions: partitions)
        #expect(sortedRows(split.rows) == sortedRows(whole.rows))
        #expect(split.skipped == whole.skipped)
        #expect(split.skipped == SkipCounts(null: 1000))
        let texts = try await fetchAll(source("SELECT id, name FROM texts WHERE {partition_filter}", .hash), partitions: partitions)
        #expect(sortedRows(texts.rows) == sortedRows(try await fetchAll(source("SELECT id, name FROM texts", nil), partitions: 1).rows))
    }

    @Test func rangeOverTextKeysIsRefused() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        await #expect {
            _ = try await fetchAll(source("SELECT id, name FROM texts WHERE {partition_filter}", .range), partitions: 2)
        } throws: { error in
            "\(error)".contains("needs integer keys")
        }
    }
}
