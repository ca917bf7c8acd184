import Foundation
import NameIndexSources
import Testing

@testable import NameIndexServer

@Suite struct FileFormatConfigurationTests {
    func source(_ extra: String) throws -> FileOptions {
        var configuration = Configuration(defaults: .testing)
        try ConfigurationLoader().parse(userSource + extra, file: "/etc/nameindexd/nameindexd.toml", into: &configuration)
        guard let file = configuration.sources[0].settings.file else { throw CancellationError() }
        return file
    }

    @Test func defaultsAreTSVWithKeyThenName() throws {
        let file = try source("")
        #expect(file.format == .tsv)
        #expect(file.keyColumn == .number(1))
        #expect(file.nameColumn == .number(2))
    }

    @Test func readsFormatAndColumnsByNumberOrName() throws {
        let file = try source("format = \"csv\"\nheader = true\nkey_column = \"user id\"\nname_column = 3\n")
        #expect(file == .init(path: "/etc/nameindexd/users.tsv", format: .csv, header: true, keyColumn: .name("user id"), nameColumn: .number(3)))
    }

    @Test(arguments: [
        ("format = \"xml\"\n", "source[1].format", "expected one of 'tsv', 'csv', 'ndjson', got 'xml'"),
        ("key_field = \"\"\nformat = \"ndjson\"\n", "source[1].key_field", "expected a non-empty string, got ''"),
        ("key_column = 0\n", "source[1].key_column", "expected a column number from 1, got 0"),
        ("name_column = \"name\"\n", "source[1].name_column", "a column given by name ('name') needs header = true"),
        ("key_column = true\n", "source[1].key_column", "expected a column number or a header name, got a boolean"),
    ])
    func badValuesSayWhatWasExpected(_ extra: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(userSource + extra))
        #expect(error.key == key)
        #expect(error.message == message)
    }

    @Test func ndjsonTakesFieldsNotColumns() throws {
        let file = try source("format = \"ndjson\"\nkey_field = \"user_id\"\nname_field = \"display\"\n")
        #expect(file.format == .ndjson)
        #expect(file.keyField == "user_id")
        #expect(file.nameField == "display")
        let mixed = try #require(configurationError(userSource + "format = \"ndjson\"\nkey_column = 2\n"))
        #expect(mixed.code == .unknownKey)
        #expect(mixed.key == "source[1].key_column")
        #expect(mixed.message == "not a key of format 'ndjson'")
        let other = try #require(configurationError(userSource + "key_field = \"id\"\n"))
        #expect(other.message == "not a key of format 'tsv'")
    }

    @Test func theFingerprintChangesWithTheFormatAndColumns() throws {
        var a = Configuration(defaults: .testing)
        var b = Configuration(defaults: .testing)
        try ConfigurationLoader().parse(userSource, file: "/x.toml", into: &a)
        try ConfigurationLoader().parse(userSource + "name_column = 3\n", file: "/x.toml", into: &b)
        #expect(a.sourceFingerprint != b.sourceFingerprint)
        #expect(a.sourceFingerprint == a.sourceFingerprint)
    }
}
