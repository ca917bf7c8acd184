import NameIndexSources
import Testing

@testable import NameIndexServer

/// The keys of `kind = "postgresql"` that libpq and the page partitions brought.
@Suite struct PostgresConfigurationTests {
    static let head = """
        [[source]]
        name = "accounts"
        namespace = "account"
        kind = "postgresql"
        url = "host=db1,db2 target_session_attrs=read-write dbname=app user=reader"
        query = "SELECT a.id, a.name FROM accounts a WHERE {partition_filter}"
        partitions = 4

        """

    func source(_ extra: String) throws -> PostgreSQLKind {
        var configuration = Configuration(defaults: .testing)
        try ConfigurationLoader().parse(Self.head + extra, file: "/etc/nameindexd/nameindexd.toml", into: &configuration)
        return try #require(configuration.sources[0].settings.postgresql)
    }

    @Test func aPartitionTableMakesPagesTheDefault() throws {
        let pg = try source("partition_table = \"accounts a\"\n")
        #expect(pg.query.filter == PartitionFilter(method: .pages, key: "", table: .init(relation: "accounts", reference: "a")))
        #expect(pg.consistentSnapshot)
        #expect(pg.url.settings["host"] == "db1,db2" && pg.url.settings["target_session_attrs"] == "read-write")
        // With a key, hash and range stay available, and pages falls back to hash on it.
        #expect(try source("partition_table = \"accounts a\"\npartition_key = \"a.id\"\n").query.filter?.key == "a.id")
        #expect(try source("partition_table = \"accounts a\"\npartition_key = \"a.id\"\npartition_by = \"hash\"\n").query.filter?.method == .hash)
        #expect(try source("partition_key = \"a.id\"\nconsistent_snapshot = false\n").consistentSnapshot == false)
    }

    @Test func theRenderedKeysParseBackToTheSame() throws {
        var configuration = Configuration(defaults: .testing)
        try ConfigurationLoader().parse(
            Self.head + "partition_table = \"accounts a\"\nconsistent_snapshot = false\n", file: "/etc/n.toml", into: &configuration)
        var again = Configuration(defaults: .testing)
        try ConfigurationLoader().parse(configuration.renderedTOML(), file: "/etc/n.toml", into: &again)
        #expect(again.sources == configuration.sources)
    }

    @Test(arguments: [
        ("partition_by = \"pages\"\npartition_key = \"a.id\"\n", "source[1].partition_table", "needs partition_table"),
        ("partition_table = \"a b c\"\n", "source[1].partition_table", "a table, or a table and its alias"),
        ("partition_key = \"a.id\"\nconsistent_snapshot = \"yes\"\n", "source[1].consistent_snapshot", "a boolean"),
    ])
    func mistakesSayWhatWasExpected(_ extra: String, _ key: String, _ message: String) {
        let error = configurationError(Self.head + extra)
        #expect(error?.key == key)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "accepted")")
    }

    @Test func sqliteHasNoPages() {
        let error = configurationError("""
            [[source]]
            name = "u"
            namespace = "user"
            kind = "sqlite"
            path = "/data/u.db"
            query = "SELECT id, name FROM u WHERE {partition_filter}"
            partition_key = "id"
            partition_by = "pages"
            """)
        #expect(error?.message == "expected 'hash' or 'range', got 'pages'")
        #expect(configurationError(Self.head.replacingOccurrences(of: "kind = \"postgresql\"", with: "kind = \"sqlite\"\npath = \"x\"") + "partition_table = \"t\"\n")?.message.contains("postgresql has it") == true)
    }
}
