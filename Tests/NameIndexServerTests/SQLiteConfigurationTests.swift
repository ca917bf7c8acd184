import Foundation
import NameIndexSources
import Testing

@testable import NameIndexServer

@Suite struct SQLiteConfigurationTests {
    @Test func readsPathAndQuery() throws {
        var configuration = Configuration(defaults: .testing)
        try ConfigurationLoader().parse(
            "[[source]]\nname = \"u\"\nnamespace = \"user\"\nkind = \"sqlite\"\npath = \"/data/u.db\"\nquery = \"SELECT id, name FROM u\"\n",
            file: "/x.toml", into: &configuration)
        #expect(configuration.sources[0].settings == .sqlite(.init(path: "/data/u.db", query: .init(query: "SELECT id, name FROM u"))))
    }

    @Test func fileKeysAreNotSQLiteKeys() throws {
        let error = try #require(configurationError(
            "[[source]]\nname = \"u\"\nnamespace = \"user\"\nkind = \"sqlite\"\npath = \"u.db\"\nquery = \"SELECT 1, 2\"\nformat = \"csv\"\n"))
        #expect(error.code == .unknownKey)
        #expect(error.key == "source[1].format")
        let missing = try #require(configurationError("[[source]]\nname = \"u\"\nnamespace = \"user\"\nkind = \"sqlite\"\npath = \"u.db\"\n"))
        #expect(missing.code == .missingKey)
        #expect(missing.key == "source[1].query")
    }
}
