import Foundation
import NameIndexCore
import NameIndexSources
import Testing

@testable import NameIndexServer

@Suite struct DeltaConfigurationTests {
    let sqlite = "[[source]]\nname = \"u\"\nnamespace = \"user\"\nkind = \"sqlite\"\npath = \"a.db\"\nquery = \"SELECT id, name FROM t\"\n"
    let command = "[[source]]\nname = \"u\"\nnamespace = \"user\"\nkind = \"command\"\ncommand = [\"x\"]\n"
    let delta = "delta_query = \"SELECT id, name, deleted, ts FROM t WHERE ts > {watermark}\"\nwatermark_query = \"SELECT max(ts) FROM t\"\n"

    func load(_ text: String) throws -> Configuration { try parsedConfiguration(text) }

    @Test func readsTheDeltaKeysWithTheirDefaults() throws {
        let plain = try load(sqlite + delta)
        #expect(plain.sources[0].delta == Configuration.Delta(interval: nil, jitter: .zero, lag: .units(0), compactAbove: 0.05))
        let timed = try load(sqlite + delta + "delta_interval = \"30s\"\ndelta_lag = \"5min\"\ncompact_above = \"10%\"\n")
        #expect(timed.sources[0].delta == Configuration.Delta(interval: .seconds(30), jitter: .seconds(3), lag: .seconds(300), compactAbove: 0.1))
        #expect(try load(sqlite + delta + "delta_lag = 100\ndelta_jitter = \"0s\"\n").sources[0].delta?.lag == .units(100))
        #expect(try load(sqlite).sources[0].delta == nil)
        let rendered = timed.renderedTOML()
        #expect(rendered.contains("delta_query = \"SELECT id, name, deleted, ts FROM t WHERE ts > {watermark}\"\n"))
        #expect(rendered.contains("delta_interval = \"30s\"\ndelta_jitter = \"3s\"\ndelta_lag = \"5min\"\ncompact_above = \"10%\"\n"))
        #expect(rendered.contains("snapshot_interval = \"1min\"\n"))
    }

    @Test func theDeltaQueriesAreInTheFingerprint() throws {
        let without = try load(sqlite).sourceFingerprint
        let with = try load(sqlite + delta).sourceFingerprint
        let other = try load(sqlite + delta.replacingOccurrences(of: "max(ts)", with: "max(ts) + 0")).sourceFingerprint
        #expect(Set([without, with, other]).count == 3)
        // The timer is not: changing it does not throw the snapshot away.
        #expect(try load(sqlite + delta + "delta_interval = \"1s\"\n").sourceFingerprint == with)
    }

    @Test func aCommandReadsItsDeltaCommands() throws {
        let configuration = try load(command + "delta_command = [\"x\", \"--since={watermark}\"]\nwatermark_command = [\"y\"]\n")
        guard let kind = configuration.sources[0].settings.value as? CommandKind else { throw DeltaTestError.notACommand }
        #expect(kind.deltaCommand == ["x", "--since={watermark}"] && kind.watermarkCommand == ["y"])
        #expect(configuration.sources[0].delta != nil)
    }

    enum DeltaTestError: Error { case notACommand }

    @Test(arguments: [
        ("delta_query = \"SELECT 1 WHERE x > {watermark}\"\n", "source[1].watermark_query", "delta_query needs watermark_query: where the deltas start after a full load"),
        ("watermark_query = \"SELECT 1\"\n", "source[1].delta_query", "watermark_query needs delta_query: the rows changed since {watermark}"),
        ("delta_query = \"SELECT id, name, deleted, ts FROM t\"\nwatermark_query = \"SELECT 1\"\n", "source[1].delta_query", "the delta query has no {watermark}: without it every delta would return every row"),
        ("delta_interval = \"1min\"\n", "source[1].delta_query", "delta_interval needs delta_query: what returns the rows changed since {watermark}"),
        ("compact_above = \"5%\"\n", "source[1].delta_query", "compact_above needs delta_query: what returns the rows changed since {watermark}"),
    ])
    func sqliteMistakesSayWhatWasExpected(_ extra: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(sqlite + extra))
        #expect(error.key == key)
        #expect(error.message == message)
    }

    @Test(arguments: [
        ("delta_lag = -1\n", "source[1].delta_lag", "expected a whole number from 0, or a time span"),
        ("delta_lag = \"soon\"\n", "source[1].delta_lag", "expected a whole number (for an integer watermark) or a time span such as \"5min\" (for a timestamp)"),
        ("compact_above = \"0%\"\n", "source[1].compact_above", "expected a percentage above \"0%\" up to \"100%\", got '0%'"),
        ("compact_above = 5\n", "source[1].compact_above", "expected a string, got an integer"),
        ("delta_interval = \"0s\"\n", "source[1].delta_interval", "expected a time span such as \"30s\", \"10min\" or \"1min 30s\", got '0s'"),
    ])
    func badDeltaValuesSayWhatWasExpected(_ extra: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(sqlite + delta + extra))
        #expect(error.key == key)
        #expect(error.message == message)
    }

    @Test(arguments: [
        ("delta_command = [\"x\", \"{watermark}\"]\n", "source[1].watermark_command", "delta_command needs watermark_command: where the deltas start after a full load"),
        ("delta_command = [\"x\"]\nwatermark_command = [\"y\"]\n", "source[1].delta_command", "the delta command has no {watermark} in its arguments: without it every delta would return every row"),
        ("delta_lag = 5\n", "source[1].delta_command", "delta_lag needs delta_command: what returns the rows changed since {watermark}"),
    ])
    func commandMistakesSayWhatWasExpected(_ extra: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(command + extra))
        #expect(error.key == key)
        #expect(error.message == message)
    }
}
