import Foundation
import NameIndexCore
import NameIndexSources
import Testing

/// `partition_by = "pages"`: a table's heap pages cut into ranges, every row once, whatever the
/// table holds (gaps, dead tuples, a single page); and every partitioned fetch reads one snapshot.
@Suite(.serialized) struct PostgresPagesTests {
    let server: PostgresServer

    init() throws {
        server = try PostgresServer.get()
        try server.psql("""
            DROP VIEW IF EXISTS paged_view;
            DROP TABLE IF EXISTS paged, paged_tiny CASCADE;
            CREATE TABLE paged(id bigint, name text) WITH (autovacuum_enabled = false);
            INSERT INTO paged SELECT g * 3 - 100, 'p' || g FROM generate_series(1, 30000) g;
            INSERT INTO paged VALUES (NULL, 'no id'), (1, NULL);
            -- Dead tuples: a third of the rows deleted and never vacuumed.
            DELETE FROM paged WHERE id % 9 = 0;
            CREATE TABLE paged_tiny(id bigint, name text);
            INSERT INTO paged_tiny VALUES (1, 'one'), (2, 'two');
            CREATE VIEW paged_view AS SELECT id, name FROM paged_tiny;
            """)
    }

    func source(_ query: String, _ method: PartitionFilter.Method, key: String = "", table: String, alias: String? = nil) -> PostgresSource {
        PostgresSource(
            name: "t", namespace: "n", url: try! PostgresConnectionString(server.url()), query: query,
            filter: PartitionFilter(method: method, key: key, table: .init(relation: table, reference: alias)))
    }

    @Test(arguments: [1, 2, 7, 16])
    func everyRowExactlyOnceByPages(partitions: Int) async throws {
        for (query, table, alias) in [
            ("SELECT id, name FROM paged WHERE {partition_filter}", "paged", nil),
            ("SELECT p.id, p.name FROM paged p JOIN paged_tiny t ON t.id <= 2 AND t.id = 1 WHERE {partition_filter}", "paged", "p"),
            ("SELECT id, name FROM paged_tiny WHERE {partition_filter}", "paged_tiny", nil),
        ] {
            let whole = try await fetchAll(source(query.replacingOccurrences(of: "{partition_filter}", with: "TRUE"), .pages, table: table), partitions: 1)
            let split = try await fetchAll(source(query, .pages, table: table, alias: alias), partitions: partitions)
            #expect(sortedRows(split.rows) == sortedRows(whole.rows), "\(query) in \(partitions)")
            #expect(split.skipped == whole.skipped)
        }
        let all = try await fetchAll(source("SELECT id, name FROM paged WHERE {partition_filter}", .pages, table: "paged"), partitions: partitions)
        let live = try server.psql("SELECT count(*) FROM paged WHERE id IS NOT NULL AND name IS NOT NULL")
        #expect("\(all.rows.count)" == live.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(all.skipped == SkipCounts(null: 2))
    }

    @Test func aRelationThatCannotBeSplitFallsBackToHashWithANotice() async throws {
        let fetcher = try await source("SELECT id, name FROM paged_view WHERE {partition_filter}", .pages, key: "id", table: "paged_view")
            .prepare(partitions: 2)
        #expect(fetcher.notices.count == 1)
        #expect(fetcher.notices.first?.contains("not a plain table") == true, "\(fetcher.notices)")
        await fetcher.finish()
        let rows = try await fetchAll(source("SELECT id, name FROM paged_view WHERE {partition_filter}", .pages, key: "id", table: "paged_view"), partitions: 2)
        #expect(sortedRows(rows.rows) == [["1", "one"], ["2", "two"]])
        // Without a key to fall back to, it says what to give.
        await #expect {
            _ = try await fetchAll(self.source("SELECT id, name FROM paged_view WHERE {partition_filter}", .pages, table: "paged_view"), partitions: 2)
        } throws: { "\($0)".contains("partition_key") }
    }

    /// While a 4-partition fetch of a 1M-row table runs, a writer moves rows in transactions
    /// that each also set row 0 to their number. The fetch must equal the table after exactly
    /// the transaction row 0 names: no key twice, none missing, every name of that moment.
    @Test(arguments: [PartitionFilter.Method.pages, .hash, .range])
    func partitionsReadOneSnapshotWhileTheTableChanges(method: PartitionFilter.Method) async throws {
        try server.psql("""
            DROP TABLE IF EXISTS moving;
            CREATE TABLE moving(id bigint PRIMARY KEY, name text);
            INSERT INTO moving SELECT g, 'initial' FROM generate_series(0, 999999) g;
            """)
        let query = "SELECT id, name FROM moving WHERE {partition_filter}"
        let source = PostgresSource(
            name: "t", namespace: "n", url: try PostgresConnectionString(server.url()), query: query,
            filter: PartitionFilter(method: method, key: "id", table: method == .pages ? .init(relation: "moving") : nil))
        let server = self.server
        let stop = Flag()
        // Transaction k: delete row k (k from 1), add row 1000000 + k, rename row 999999 - k, set row 0 to "k".
        let writer = Task {
            try await offPool {
                var k = 0
                while !stop.isSet && k < 2000 {
                    k += 1
                    _ = try server.psql("""
                        BEGIN; DELETE FROM moving WHERE id = \(k); INSERT INTO moving VALUES (\(1_000_000 + k), 'added \(k)');
                        UPDATE moving SET name = 'renamed \(k)' WHERE id = \(999_999 - k); UPDATE moving SET name = '\(k)' WHERE id = 0; COMMIT;
                        """)
                }
                return k
            }
        }
        // Let a few transactions commit before and during the fetch.
        let deadline = ContinuousClock.now + .seconds(60)
        while (try server.psql("SELECT name FROM moving WHERE id = 0")).trimmingCharacters(in: .whitespacesAndNewlines) == "initial" {
            try #require(ContinuousClock.now < deadline, "the writer committed nothing in 60 s")
            try await Task.sleep(for: .milliseconds(10))
        }
        let fetched = try await fetchAll(source, partitions: 4)
        stop.set()
        let written = try await writer.value
        var names: [Int64: String] = [:]
        var twice = 0
        for row in fetched.rows {
            if names.updateValue(row[1], forKey: Int64(row[0])!) != nil { twice += 1 }
        }
        #expect(twice == 0, "keys fetched twice")
        let zero = try #require(names[0], "row 0 was fetched")
        let moment = try #require(Int(zero), "row 0 names a transaction")
        #expect(moment >= 1 && moment <= written)
        var expected: [Int64: String] = [:]
        for id in 0..<1_000_000 { expected[Int64(id)] = "initial" }
        for k in 1...max(1, moment) where moment >= 1 {
            expected[Int64(k)] = nil
            expected[Int64(1_000_000 + k)] = "added \(k)"
            if expected[Int64(999_999 - k)] != nil { expected[Int64(999_999 - k)] = "renamed \(k)" }
        }
        expected[0] = "\(moment)"
        #expect(names.count == expected.count, "rows as of transaction \(moment)")
        let wrong = expected.filter { names[$0.key] != $0.value }.count
        #expect(wrong == 0, "\(wrong) rows differ from the table as of transaction \(moment)")
    }
}

/// A flag one task sets and another reads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
