import Foundation
import NameIndexSources
import Testing

@testable import NameIndexServer

@Suite struct CommandConfigurationTests {
    let head = "[[source]]\nname = \"u\"\nnamespace = \"user\"\nkind = \"command\"\n"

    @Test func readsTheArgvAndTheRowFormat() throws {
        var configuration = Configuration(defaults: .testing)
        try ConfigurationLoader().parse(
            head + "command = [\"beeline\", \"-e\", \"SELECT id, name FROM t WHERE pmod(hash(id), {partitions}) = {partition}\"]\nformat = \"csv\"\nheader = true\nkey_column = \"id\"\n",
            file: "/x.toml", into: &configuration)
        #expect(configuration.sources[0].settings == .command(.init(
            arguments: ["beeline", "-e", "SELECT id, name FROM t WHERE pmod(hash(id), {partitions}) = {partition}"],
            rows: RowFormat(format: .csv, header: true, keyColumn: .name("id")), workingDirectory: "/")))
    }

    @Test(arguments: [
        ("", "source[1].command", "missing required key (an array of strings: the program and its arguments)"),
        ("command = \"beeline -e x\"\n", "source[1].command", "expected a non-empty array of strings, such as [\"beeline\", \"-e\", \"SELECT id, name FROM t\"]"),
        ("command = []\n", "source[1].command", "expected a non-empty array of strings, such as [\"beeline\", \"-e\", \"SELECT id, name FROM t\"]"),
        ("command = [\"beeline\", 5]\n", "source[1].command", "expected strings only; element 2 is an integer"),
        ("command = [\"x\"]\npath = \"y\"\n", "source[1].path", "not a key of kind 'command' (file and sqlite have it)"),
        ("command = [\"x\"]\ncheck_query = \"SELECT 1\"\n", "source[1].check_query", "not a key of kind 'command' (postgresql and sqlite have it)"),
        ("command = [\"x\"]\nurl = \"y\"\n", "source[1].url", "not a key of kind 'command' (postgresql has it)"),
        ("command = [\"x\"]\nsize = 1\n", "source[1].size", "unknown key for kind 'command' (known keys: check_command, check_interval, command, compact_above, delta_command, delta_interval, delta_jitter, delta_lag, drop_prefix, format, header, key_column, key_field, kind, max_line_bytes, max_shrink, min_rows, name, name_column, name_field, namespace, null_value, on_failure, parallelism, partitions, reload_interval, reload_jitter, retries, retry_delay, stall_timeout, timeout, watermark_command)"),
    ])
    func mistakesSayWhatWasExpected(_ extra: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(head + extra))
        #expect(error.key == key)
        #expect(error.message == message)
    }
}

@Suite struct CommandPreambleConfigurationTests {
    let head = "[[source]]\nname = \"u\"\nnamespace = \"user\"\nkind = \"command\"\ncommand = [\"beeline\"]\n"

    @Test func readsDropPrefixAndNullValue() throws {
        var configuration = Configuration(defaults: .testing)
        try ConfigurationLoader().parse(
            head + "drop_prefix = '^[0-9]+: jdbc:[^ ]*> '\nformat = \"csv\"\nnull_value = \"NULL\"\n", file: "/x.toml", into: &configuration)
        #expect(configuration.sources[0].settings == .command(.init(
            arguments: ["beeline"], rows: RowFormat(format: .csv, nullValue: "NULL"), workingDirectory: "/",
            dropPrefix: "^[0-9]+: jdbc:[^ ]*> ")))
        let rendered = configuration.renderedTOML()
        #expect(rendered.contains("drop_prefix = \"^[0-9]+: jdbc:[^ ]*> \"\n"))
        #expect(rendered.contains("null_value = \"NULL\"\n"))
    }

    @Test(arguments: [
        ("drop_prefix = \"[unclosed\"\n", "source[1].drop_prefix", "not a regular expression"),
        ("drop_prefix = \"\"\n", "source[1].drop_prefix", "non-empty"),
        ("format = \"ndjson\"\nnull_value = \"NULL\"\n", "source[1].null_value", "not a key of format 'ndjson' (JSON has null of its own)"),
        ("null_value = \"a\\tb\"\n", "source[1].null_value", "holds a line break or the tab"),
        ("format = \"csv\"\nnull_value = \"a,b\"\n", "source[1].null_value", "holds a line break or the comma"),
    ])
    func mistakesSayWhatWasExpected(_ extra: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(head + extra))
        #expect(error.key == key)
        #expect(error.message.contains(message), "\(error.message)")
    }
}
