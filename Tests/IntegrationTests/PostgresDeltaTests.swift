import Foundation
import NameIndexCore
import NameIndexSources
import Testing

/// `delta_query` and `watermark_query` against the real PostgreSQL: four columns by binary
/// COPY, the watermark as an escaped literal, the starting watermark inside the load's snapshot.
@Suite(.serialized) struct PostgresDeltaTests {
    let server: PostgresServer

    init() throws {
        server = try PostgresServer.get()
        try server.psql("""
            DROP TABLE IF EXISTS delta_users;
            CREATE TABLE delta_users(id bigint PRIMARY KEY, name text, deleted boolean NOT NULL DEFAULT false,
              updated_at timestamptz NOT NULL DEFAULT '2026-12-01 00:00:00+00');
            INSERT INTO delta_users VALUES (1, 'one', false, '2026-12-01 10:00:00+00'), (2, 'two', true, '2026-12-01 11:00:00+00'),
              (3, NULL, false, '2026-12-01 12:00:00+00'), (4, 'four''s', false, '2026-12-01 13:00:00.25+00');
            """)
    }

    func source(_ delta: String = "SELECT id, name, deleted, updated_at FROM delta_users WHERE updated_at > {watermark}") -> PostgresSource {
        var source = PostgresSource(
            name: "d", namespace: "n", url: try! PostgresConnectionString(server.url()),
            query: "SELECT id, name FROM delta_users WHERE NOT deleted")
        source.deltaQuery = delta
        source.watermarkQuery = "SELECT max(updated_at) FROM delta_users"
        return source
    }

    func delta(_ source: PostgresSource, since watermark: String) async throws -> (rows: [[String]], collector: DeltaCollector) {
        let collector = try await source.collect(since: watermark)
        return (collector.rowTexts.sorted { $0.lexicographicallyPrecedes($1) }, collector)
    }

    @Test func returnsUpsertsAndTombstonesWithTheirWatermarks() async throws {
        let source = source()
        let start = try #require(try await source.startingWatermark())
        // The watermark is the server's text of the value; it goes back as a literal and compares.
        #expect(try await delta(source, since: start).rows.isEmpty)
        let (rows, collector) = try await delta(source, since: "2026-12-01 10:30:00+00")
        #expect(rows.map { [$0[0], $0[1]] } == [["2", ""], ["4", "four's"]])
        #expect(collector.skipped == SkipCounts(null: 1))
        #expect(collector.maximumWatermark == start)
        // The watermarks sort as text the way the values do.
        #expect(Watermark.compare(rows[0][2], rows[1][2]) < 0)
    }

    @Test func aHostileWatermarkIsOnlyAValue() async throws {
        let source = source("SELECT id, name, deleted, updated_at FROM delta_users WHERE name > {watermark}")
        // Spliced in, either of these would return every row.
        #expect(try await delta(source, since: "zzz' OR true --").rows.isEmpty)
        #expect(try await delta(source, since: "zzz\\' OR true --").rows.isEmpty)
        #expect(try await delta(source, since: "o").rows.map(\.[0]) == ["1", "2"])
        await #expect(throws: SourceError.self) { try await self.delta(source, since: "a\u{0}b") }
    }

    @Test func theStartingWatermarkIsReadInTheLoadsSnapshot() async throws {
        let source = source()
        // One partition: still a snapshot of its own, held open for the watermark beside it.
        let prepared = try await source.prepare(partitions: 1)
        // Committed after the snapshot was taken: neither the rows nor the watermark see it.
        try server.psql("INSERT INTO delta_users VALUES (5, 'late', false, '2026-12-02 00:00:00+00')")
        var rows: [String] = []
        try await prepared.fetch(.whole) { batch in batch.forEach { k, _ in rows.append(String(decoding: k, as: UTF8.self)) } }
        await prepared.finish()
        #expect(rows.sorted() == ["1", "4"])
        #expect(prepared.startingWatermark?.hasPrefix("2026-12-01 13:00:00.25") == true)
        // The next delta from that watermark picks the late row up.
        #expect(try await delta(source, since: prepared.startingWatermark!).rows.map(\.[0]) == ["5"])
        try server.psql("DELETE FROM delta_users WHERE id = 5")
    }

    @Test func aDeltaQueryOfTwoColumnsIsRefused() async throws {
        await #expect(throws: SourceError.self) {
            try await self.delta(self.source("SELECT id, name FROM delta_users WHERE updated_at > {watermark}"), since: "2026-01-01")
        }
    }
}
