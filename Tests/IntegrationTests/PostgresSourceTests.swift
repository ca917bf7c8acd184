import Foundation
import NameIndexCore
import NameIndexSources
import Testing

@Suite(.serialized) struct PostgresSourceTests {
    let server: PostgresServer

    init() throws {
        server = try PostgresServer.get()
        try server.psql("""
            DROP TABLE IF EXISTS exact_int, exact_text;
            CREATE TABLE exact_int(id bigint, name text);
            -- Gaps, negatives, a cluster near zero and the extremes of bigint.
            INSERT INTO exact_int SELECT g * 7 - 3500, 'n' || g FROM generate_series(0, 999) g;
            INSERT INTO exact_int SELECT g, 'dense' || g FROM generate_series(-20, 20) g WHERE g % 7 <> 0;
            INSERT INTO exact_int VALUES (-9223372036854775808, 'min'), (9223372036854775807, 'max'),
              (NULL, 'no id'), (123456789012, '');
            CREATE TABLE exact_text(id text, name text);
            INSERT INTO exact_text SELECT 'P-' || lpad(g::text, 6, '0') || '-x', 'Name ' || g FROM generate_series(1, 1500) g;
            INSERT INTO exact_text VALUES ('Zoë', 'accent'), ('王小明', 'cjk'), (NULL, 'no id');
            """)
    }

    func source(_ query: String, _ method: PartitionFilter.Method?, key: String = "id") -> PostgresSource {
        PostgresSource(
            name: "t", namespace: "n", url: try! PostgresConnectionString(server.url()), query: query,
            filter: method.map { PartitionFilter(method: $0, key: key) })
    }

    @Test(arguments: [PartitionFilter.Method.hash, .range], [1, 2, 7, 16])
    func everyIntegerRowExactlyOnce(method: PartitionFilter.Method, partitions: Int) async throws {
        let whole = try await fetchAll(source("SELECT id, name FROM exact_int", nil), partitions: 1)
        #expect(whole.rows.count == 1000 + 36 + 2)
        #expect(whole.skipped == SkipCounts(null: 1, empty: 1))
        let split = try await fetchAll(
            source("SELECT id, name FROM exact_int WHERE {partition_filter}", method), partitions: partitions)
        #expect(sortedRows(split.rows) == sortedRows(whole.rows))
        #expect(split.skipped == whole.skipped)
    }

    @Test(arguments: [1, 2, 7, 16])
    func everyTextRowExactlyOnceByHash(partitions: Int) async throws {
        let whole = try await fetchAll(source("SELECT id, name FROM exact_text", nil), partitions: 1)
        #expect(whole.rows.count == 1502)
        let split = try await fetchAll(
            source("SELECT t.id, t.name FROM exact_text t WHERE {partition_filter}", .hash, key: "t.id"), partitions: partitions)
        #expect(sortedRows(split.rows) == sortedRows(whole.rows))
        #expect(split.skipped == SkipCounts(null: 1))
    }

    @Test func rangeOnTextKeysIsRefusedClearly() async throws {
        await #expect {
            _ = try await fetchAll(source("SELECT id, name FROM exact_text WHERE {partition_filter}", .range), partitions: 2)
        } throws: { error in
            "\(error)".contains("bigint") || "\(error)".contains("int8")
        }
    }

    @Test func typesNullsAndUTF8RoundTrip() async throws {
        try server.psql("""
            DROP TABLE IF EXISTS typed;
            CREATE TABLE typed(small int2, normal int4, u uuid, fixed char(4), v varchar(20), t text);
            INSERT INTO typed VALUES (-5, 2147483647, '6f9619ff-8b86-d011-b42d-00cf4fc964ff', 'ab', 'Zoë', '王小明 🌍'),
              (NULL, NULL, NULL, NULL, NULL, NULL), (7, 8, NULL, '', '', '');
            """)
        let rows = { (q: String) in try await fetchAll(self.source(q, nil), partitions: 1) }
        #expect(try await rows("SELECT small, t FROM typed ORDER BY small").rows == [["-5", "王小明 🌍"]])
        #expect(try await rows("SELECT normal, v FROM typed ORDER BY normal").rows == [["2147483647", "Zoë"]])
        #expect(try await rows("SELECT u, fixed FROM typed WHERE u IS NOT NULL").rows == [["6f9619ff-8b86-d011-b42d-00cf4fc964ff", "ab  "]])
        let vs = try await rows("SELECT v, small FROM typed")
        #expect(vs.rows == [["Zoë", "-5"]])
        #expect(vs.skipped == SkipCounts(null: 1, empty: 1))
        #expect(try await rows("SELECT t, u FROM typed WHERE u IS NOT NULL").rows == [["王小明 🌍", "6f9619ff-8b86-d011-b42d-00cf4fc964ff"]])
        // Any other type is cast to text in the COPY statement.
        #expect(try await rows("SELECT 1.5::numeric, 'x'").rows == [["1.5", "x"]])
        #expect(try await rows("SELECT 'k', now()::date - now()::date").rows == [["k", "0"]])
    }

    @Test func aFourByteCharacterAtEveryBatchBoundary() async throws {
        try server.psql("""
            DROP TABLE IF EXISTS emoji;
            CREATE TABLE emoji AS SELECT g AS id, '🌍' || g || '🌍' AS name FROM generate_series(0, 999) g;
            """)
        var source = source("SELECT id, name FROM emoji ORDER BY id", nil)
        source.batchRows = 7
        var batches = 0
        var rows: [[String]] = []
        try await source.fetchWhole { batch in
            batches += 1
            batch.forEach { k, n in rows.append([String(decoding: k, as: UTF8.self), String(decoding: n, as: UTF8.self)]) }
        }
        #expect(rows == (0..<1000).map { ["\($0)", "🌍\($0)🌍"] })
        #expect(batches == 143)
    }

    @Test func passwordsComeFromAFile() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-pw-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let location = try PostgresConnectionString(server.url(user: "secret_reader"))
        let query = "SELECT id, name FROM exact_text WHERE id = 'Zoë'"
        let without = PostgresSource(name: "s", namespace: "n", url: location, query: query)
        await #expect {
            try await without.fetchWhole { _ in }
        } throws: { error in
            "\(error)".contains("password_file")
        }
        let wrong = PostgresSource(name: "s", namespace: "n", url: location, query: query, password: { "wrong" })
        await #expect {
            try await wrong.fetchWhole { _ in }
        } throws: { error in
            "\(error)".contains("password authentication failed")
        }
        let right = PostgresSource(name: "s", namespace: "n", url: location, query: query, password: { "hunter2 with spaces" })
        var rows = 0
        try await right.fetchWhole { rows += $0.count }
        #expect(rows == 1)
    }

    @Test func aServerThatIsNotThereIsAClearError() async throws {
        let location = try PostgresConnectionString("postgresql://nobody@/x?host=/nonexistent-nameindex-dir")
        let source = PostgresSource(name: "s", namespace: "n", url: location, query: "SELECT 1, 'a'")
        await #expect {
            try await source.fetchWhole { _ in }
        } throws: { error in
            "\(error)".contains("cannot connect") && "\(error)".contains("/nonexistent-nameindex-dir")
        }
    }
}
