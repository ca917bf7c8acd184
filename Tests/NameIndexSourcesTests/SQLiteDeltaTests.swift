import NameIndexCore
import NameIndexSources
import Testing

/// `delta_query` and `watermark_query` on SQLite: four columns, the watermark bound, never spliced.
@Suite struct SQLiteDeltaTests {
    static let schema = """
        CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, deleted INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL);
        INSERT INTO users VALUES (1, 'one', 0, 10), (2, 'two', 1, 20), (3, NULL, 0, 30), (4, 'four', 0, 40);
        """

    func source(_ path: String, delta: String = "SELECT id, name, deleted, updated_at FROM users WHERE updated_at > {watermark}") -> SQLiteSource {
        var source = SQLiteSource(name: "s", namespace: "n", path: path, query: "SELECT id, name FROM users WHERE deleted = 0")
        source.deltaQuery = delta
        source.watermarkQuery = "SELECT max(updated_at) FROM users"
        return source
    }

    func delta(_ source: SQLiteSource, since watermark: String) async throws -> (rows: [[String]], collector: DeltaCollector) {
        let collector = try await source.collect(since: watermark)
        return (collector.rowTexts, collector)
    }

    @Test func returnsUpsertsTombstonesAndTheirWatermarks() async throws {
        let path = try makeSQLiteDatabase(Self.schema)
        let source = source(path)
        #expect(try await source.startingWatermark() == "40")
        let (rows, collector) = try await delta(source, since: "15")
        // A tombstone has an empty name; a NULL name on a live row is a NULL skip (its watermark still counts).
        #expect(rows == [["2", "", "20"], ["4", "four", "40"]])
        #expect(collector.skipped == SkipCounts(null: 1))
        #expect(collector.maximumWatermark == "40")
        #expect(try await delta(source, since: "40").rows.isEmpty)
    }

    @Test func theWatermarkIsAParameterNotSQL() async throws {
        let path = try makeSQLiteDatabase(Self.schema + "CREATE TABLE marks(m TEXT); INSERT INTO marks VALUES ('2026');")
        let source = source(path, delta: "SELECT id, name, deleted, updated_at FROM users WHERE CAST(updated_at AS TEXT) > {watermark} OR {watermark} = 'x'")
        // A watermark that would be an injection if spliced in is only a value.
        #expect(try await delta(source, since: "9' OR 1=1 --").rows.isEmpty)
        #expect(try await delta(source, since: "x").rows.count == 3)
    }

    @Test func flagsAndShapesThatAreNotRowsAreRefusedOrCounted() async throws {
        let path = try makeSQLiteDatabase("""
            CREATE TABLE d(id, name, deleted, w);
            INSERT INTO d VALUES (1, 'a', 'true', '2026-12-01 10:00:00'), (2, 'b', 'maybe', '2026-12-01 11:00:00'),
              (3, 'c', NULL, NULL), (NULL, 'd', 0, '2026-12-02 00:00:00'), (5, 'e', 't', '2026-12-01 09:00:00');
            """)
        var source = SQLiteSource(name: "s", namespace: "n", path: path, query: "SELECT id, name FROM d")
        source.deltaQuery = "SELECT id, name, deleted, w FROM d WHERE w IS NULL OR w > {watermark}"
        let (rows, collector) = try await delta(source, since: "")
        #expect(rows == [["1", "", "2026-12-01 10:00:00"], ["3", "c", ""], ["5", "", "2026-12-01 09:00:00"]])
        #expect(collector.skipped == SkipCounts(null: 1, malformed: 1))
        // Rows refused before they are read (a NULL key, a bad flag) do not move the watermark.
        #expect(collector.maximumWatermark == "2026-12-01 10:00:00")
        source.deltaQuery = "SELECT id, name FROM d WHERE w > {watermark}"
        await #expect(throws: SourceError.self) { try await self.delta(source, since: "") }
    }
}
