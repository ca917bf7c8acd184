import Foundation
import NameIndexSources
import Testing

@testable import NameIndexServer

/// A directory with a main configuration file and optional drop-ins.
struct ConfigurationFixture {
    let directory: URL

    init(main: String, dropIns: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("conf.d"), withIntermediateDirectories: true)
        try main.write(to: directory.appendingPathComponent("nameindexd.toml"), atomically: true, encoding: .utf8)
        for (name, text) in dropIns {
            try text.write(to: directory.appendingPathComponent("conf.d/\(name)"), atomically: true, encoding: .utf8)
        }
    }

    var mainPath: String { directory.appendingPathComponent("nameindexd.toml").path }

    func load() throws -> Configuration { try ConfigurationLoader().load(path: mainPath) }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Parses `text` alone and returns the error it raises.
func configurationError(_ text: String) -> ConfigurationError? {
    var configuration = Configuration()
    do {
        try ConfigurationLoader().parse(text, file: "/etc/nameindexd/nameindexd.toml", into: &configuration)
        return nil
    } catch {
        return error as? ConfigurationError
    }
}

let userSource = """
    [[source]]
    name = "users"
    namespace = "user"
    kind = "file"
    path = "users.tsv"

    """

@Suite struct ConfigurationTests {
    @Test func readsDaemonSettingsAndSourcesResolvingRelativePaths() throws {
        let fixture = try ConfigurationFixture(
            main: """
                [daemon]
                runtime_directory = "/run/x"
                state_directory = "/var/lib/x"

                \(userSource)
                [[source]]
                name = "teams"
                namespace = "team"
                kind = "file"
                path = "/data/teams.tsv"
                header = true
                """)
        defer { fixture.remove() }
        let configuration = try fixture.load()
        #expect(configuration.daemon == .init(runtimeDirectory: "/run/x", stateDirectory: "/var/lib/x"))
        #expect(configuration.sources.map(\.name) == ["users", "teams"])
        #expect(configuration.sources[0].settings == .file(.init(path: fixture.directory.appendingPathComponent("users.tsv").standardizedFileURL.path, header: false)))
        #expect(configuration.sources[1].settings == .file(.init(path: "/data/teams.tsv", header: true)))
        #expect(configuration.sources[0].origin == URL(fileURLWithPath: fixture.mainPath).standardizedFileURL.path)
    }

    @Test func dropInsAreReadInNameOrderAddSourcesAndOverrideDaemonKeys() throws {
        let fixture = try ConfigurationFixture(
            main: "[daemon]\nruntime_directory = \"/run/main\"\nstate_directory = \"/var/lib/main\"\n\n" + userSource,
            dropIns: [
                "20-b.toml": "[daemon]\nruntime_directory = \"/run/b\"\n[[source]]\nname = \"b\"\nnamespace = \"n\"\nkind = \"file\"\npath = \"b.tsv\"\n",
                "10-a.toml": "[daemon]\nruntime_directory = \"/run/a\"\n[[source]]\nname = \"a\"\nnamespace = \"n\"\nkind = \"file\"\npath = \"a.tsv\"\n",
                "30-ignored.conf": "this is not TOML and is not read",
                ".hidden.toml": "garbage = [",
            ])
        defer { fixture.remove() }
        let configuration = try fixture.load()
        #expect(configuration.sources.map(\.name) == ["users", "a", "b"])
        #expect(configuration.daemon.runtimeDirectory == "/run/b")
        #expect(configuration.daemon.stateDirectory == "/var/lib/main")
        #expect(configuration.files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["nameindexd.toml", "10-a.toml", "20-b.toml"])
        // A drop-in's relative path is relative to the drop-in's own directory.
        if case .file(let file) = configuration.sources[1].settings {
            #expect(file.path.hasSuffix("/conf.d/a.tsv"))
        } else {
            Issue.record("expected a file source")
        }
    }

    @Test func aSourceNameDefinedTwiceIsAnErrorNamingTheFirstFile() throws {
        let fixture = try ConfigurationFixture(main: userSource, dropIns: ["10.toml": userSource])
        defer { fixture.remove() }
        #expect {
            try fixture.load()
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.code == .duplicateSource && error?.file.hasSuffix("conf.d/10.toml") == true
                && error?.message.contains("nameindexd.toml") == true
        }
    }

    @Test func aMissingMainFileIsFileNotFound() {
        #expect {
            try ConfigurationLoader().load(path: "/nonexistent/nameindexd.toml")
        } throws: { ($0 as? ConfigurationError)?.code == .fileNotFound }
    }

    @Test func aSyntaxErrorNamesTheLine() throws {
        let error = try #require(configurationError("[daemon]\nruntime_directory = \"/run\"\n[[source]]\nname = \n"))
        #expect(error.code == .syntax)
        #expect(error.line == 4)
        #expect(error.description.hasPrefix("/etc/nameindexd/nameindexd.toml:4: invalid TOML"))
    }

    @Test(arguments: [
        ("colour = 1\n", "colour"),
        ("[daemon]\nruntime_dir = \"/run\"\n", "daemon.runtime_dir"),
        (userSource.replacingOccurrences(of: "path =", with: "pth = \"x\"\npath ="), "source[1].pth"),
    ])
    func anUnknownKeyIsAnErrorNamingIt(_ text: String, _ key: String) throws {
        let error = try #require(configurationError(text))
        #expect(error.code == .unknownKey)
        #expect(error.key == key)
        #expect(error.message.contains("known keys"))
    }

    @Test(arguments: ["name", "namespace", "kind", "path"])
    func aMissingRequiredKeyIsAnError(_ key: String) throws {
        let text = userSource.split(separator: "\n").filter { !$0.hasPrefix("\(key) =") }.joined(separator: "\n")
        let error = try #require(configurationError(text))
        #expect(error.code == .missingKey)
        #expect(error.key == "source[1].\(key)")
    }

    static let pgSource = """
        [[source]]
        name = "accounts"
        namespace = "account"
        kind = "postgresql"
        url = "postgresql://reader@db:5432/app"
        query = "SELECT id, name FROM accounts"

        """

    @Test(arguments: [
        (pgSource.replacingOccurrences(of: "reader@", with: "reader:pw@"), "source[1].url", "password_file or password_credential"),
        (pgSource.replacingOccurrences(of: "postgresql://", with: "mysql://"), "source[1].url", "postgresql://"),
        (pgSource + "partitions = 4\n", "source[1].partitions", "needs {partition_filter} (with partition_key) or {partition}"),
        (pgSource + "partition_key = \"id\"\n", "source[1].partition_key", "no {partition_filter}"),
        (pgSource + "password_file = \"pw\"\npassword_credential = \"pg\"\n", "source[1].password_credential", "not both"),
        (pgSource + "password_credential = \"../x\"\n", "source[1].password_credential", "a credential name"),
        (pgSource.replacingOccurrences(of: "FROM accounts", with: "FROM accounts WHERE {partition_filter}") + "partition_key = \"id\"\npartition_by = \"modulo\"\n",
         "source[1].partition_by", "expected 'hash' or 'range'"),
        (userSource + "partitions = 0\n", "source[1].partitions", "from 1 to 1024"),
        (pgSource + "check_interval = \"1min\"\n", "source[1].check_query", "check_interval needs check_query"),
        (pgSource + "check_query = \"SELECT 1\"\n", "source[1].check_interval", "needs check_interval"),
        (userSource + "check_query = \"SELECT 1\"\ncheck_interval = \"1min\"\n", "source[1].check_query", "not a key of kind 'file'"),
        (pgSource + "check_command = [\"date\"]\ncheck_interval = \"1min\"\n", "source[1].check_command", "not a key of kind 'postgresql'"),
        (pgSource + "reload_interval = \"soon\"\n", "source[1].reload_interval", "expected a time span"),
    ])
    func aWrongSourceValueIsAnErrorSayingWhatWasExpected(_ text: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(text))
        #expect(error.key == key)
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func aPartitionFilterWithoutItsKeyIsMissingTheKey() throws {
        let text = Self.pgSource.replacingOccurrences(of: "FROM accounts", with: "FROM accounts WHERE {partition_filter}")
        let error = try #require(configurationError(text))
        #expect(error.code == .missingKey)
        #expect(error.key == "source[1].partition_key")
    }

    @Test func aPostgresSourceParses() throws {
        let text = Self.pgSource.replacingOccurrences(of: "FROM accounts", with: "FROM accounts a WHERE {partition_filter}")
            + "partition_key = \"a.id\"\npartition_by = \"range\"\npartitions = 3\npassword_file = \"secrets/pw\"\n"
        var configuration = Configuration()
        try ConfigurationLoader().parse(text, file: "/etc/nameindexd/nameindexd.toml", into: &configuration)
        guard case .postgresql(let pg) = configuration.sources[0].settings else {
            Issue.record("not a postgresql source")
            return
        }
        #expect(pg.location.host == "db" && pg.location.user == "reader" && pg.location.database == "app")
        #expect(pg.filter == PartitionFilter(method: .range, key: "a.id"))
        #expect(pg.password == .file("/etc/nameindexd/secrets/pw"))
        #expect(configuration.sources[0].fetch.partitions == 3)
    }

    @Test(arguments: [
        ("[daemon]\nruntime_directory = 5\n", "daemon.runtime_directory", "expected a string, got an integer"),
        ("[daemon]\nruntime_directory = \"relative/dir\"\n", "daemon.runtime_directory", "expected an absolute path"),
        ("daemon = \"x\"\n", "daemon", "expected a table"),
        ("source = 3\n", "source", "expected an array of tables"),
        (userSource.replacingOccurrences(of: "kind = \"file\"", with: "kind = \"hive\""), "source[1].kind", "expected one of 'file', 'postgresql', 'sqlite', 'command', got 'hive'"),
        (userSource + "header = \"yes\"\n", "source[1].header", "expected a boolean"),
        (userSource.replacingOccurrences(of: "name = \"users\"", with: "name = \"my users\""), "source[1].name", "expected a name"),
        (userSource.replacingOccurrences(of: "namespace = \"user\"", with: "namespace = \"\""), "source[1].namespace", "expected a namespace"),
        (userSource.replacingOccurrences(of: "path = \"users.tsv\"", with: "path = \"\""), "source[1].path", "expected a file path"),
    ])
    func aWrongValueIsAnErrorSayingWhatWasExpected(_ text: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(text))
        #expect(error.code == .invalidValue)
        #expect(error.key == key)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.description.contains("/etc/nameindexd/nameindexd.toml: \(key): "))
    }

    @Test func theRenderedConfigurationParsesBackToTheSame() throws {
        let fixture = try ConfigurationFixture(main: userSource + "header = true\n")
        defer { fixture.remove() }
        let configuration = try fixture.load()
        let text = configuration.renderedTOML(runtimeDirectory: "/run/r", stateDirectory: "/var/lib/s")
        var reparsed = Configuration()
        try ConfigurationLoader().parse(text, file: fixture.mainPath, into: &reparsed)
        #expect(reparsed.sources == configuration.sources)
        #expect(reparsed.daemon == .init(runtimeDirectory: "/run/r", stateDirectory: "/var/lib/s", refreshOnStart: true))
    }
}

@Suite struct DaemonPathsTests {
    @Test func rootUsesTheSystemDirectories() {
        let paths = DaemonPaths.defaults(uid: 0, environment: [:])
        #expect(paths == .init(configurationFile: "/etc/nameindexd/nameindexd.toml", runtimeDirectory: "/run/nameindexd", stateDirectory: "/var/lib/nameindexd"))
    }

    @Test func systemdDirectoriesWin() {
        let paths = DaemonPaths.defaults(
            uid: 61_000,
            environment: [
                "CONFIGURATION_DIRECTORY": "/etc/nameindexd", "RUNTIME_DIRECTORY": "/run/nameindexd:/run/other",
                "STATE_DIRECTORY": "/var/lib/nameindexd", "XDG_RUNTIME_DIR": "/run/user/61000",
            ])
        #expect(paths == .init(configurationFile: "/etc/nameindexd/nameindexd.toml", runtimeDirectory: "/run/nameindexd", stateDirectory: "/var/lib/nameindexd"))
    }

    @Test func anOrdinaryUserGetsNoConfigurationAndPrivateDirectories() {
        let withXDG = DaemonPaths.defaults(uid: 1000, environment: ["XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/a"])
        #expect(withXDG == .init(configurationFile: nil, runtimeDirectory: "/run/user/1000/nameindexd", stateDirectory: "/home/a/.local/state/nameindexd"))
        let bare = DaemonPaths.defaults(uid: 1000, environment: [:])
        #expect(bare.runtimeDirectory == "/tmp/nameindexd-1000")
    }

    @Test func theDemoConfigurationIsFoundFromABuildInTheSourceTree() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fakeExecutable = root.appendingPathComponent(".build/some-triple/debug/nameindexd").path
        let found = try #require(DaemonPaths.demoConfigurationFile(executable: fakeExecutable))
        #expect(found == root.appendingPathComponent("examples/demo/nameindexd.toml").path)
        // The demo itself is a valid configuration.
        let demo = try ConfigurationLoader().load(path: found)
        #expect(demo.sources.count >= 3)
    }
}

@Suite struct FileFormatConfigurationTests {
    func source(_ extra: String) throws -> Configuration.File {
        var configuration = Configuration()
        try ConfigurationLoader().parse(userSource + extra, file: "/etc/nameindexd/nameindexd.toml", into: &configuration)
        guard case .file(let file) = configuration.sources[0].settings else { throw CancellationError() }
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
        var a = Configuration()
        var b = Configuration()
        try ConfigurationLoader().parse(userSource, file: "/x.toml", into: &a)
        try ConfigurationLoader().parse(userSource + "name_column = 3\n", file: "/x.toml", into: &b)
        #expect(a.sourceFingerprint != b.sourceFingerprint)
        #expect(a.sourceFingerprint == a.sourceFingerprint)
    }
}

@Suite struct GuardTests {
    @Test func readsTheGuardKeysOfAnyKind() throws {
        var configuration = Configuration()
        try ConfigurationLoader().parse(
            userSource + "min_rows = 1000\nmax_shrink = \"20%\"\non_failure = \"fail\"\n", file: "/x.toml", into: &configuration)
        #expect(configuration.sources[0].guards == .init(minRows: 1000, maxShrink: 0.2, onFailure: .fail))
        #expect(Configuration.Guards() == .init(minRows: 0, maxShrink: nil, onFailure: .keep))
    }

    @Test(arguments: [
        ("min_rows = -1\n", "source[1].min_rows", "expected a whole number from 0"),
        ("max_shrink = \"20\"\n", "source[1].max_shrink", "expected a percentage from \"0%\" to \"100%\", got '20'"),
        ("max_shrink = \"120%\"\n", "source[1].max_shrink", "expected a percentage from \"0%\" to \"100%\", got '120%'"),
        ("on_failure = \"retry\"\n", "source[1].on_failure", "expected 'keep' or 'fail', got 'retry'"),
    ])
    func badGuardValuesSayWhatWasExpected(_ extra: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(userSource + extra))
        #expect(error.key == key)
        #expect(error.message == message)
    }

    @Test func theGuardsDecide() {
        let guards = Configuration.Guards(minRows: 10, maxShrink: 0.2)
        #expect(IndexLoader.guardFailure(rows: 9, previous: nil, of: 0, guards: guards) == "returned 9 rows, fewer than min_rows = 10")
        #expect(IndexLoader.guardFailure(rows: 10, previous: nil, of: 0, guards: guards) == nil)
        #expect(IndexLoader.guardFailure(rows: 800, previous: 1000, of: 4, guards: guards) == nil)  // exactly 20%
        #expect(
            IndexLoader.guardFailure(rows: 100, previous: 1000, of: 4, guards: guards)
                == "returned 100 rows, 90% fewer than the 1,000 of generation 4 (max_shrink = 20%)")
        #expect(IndexLoader.guardFailure(rows: 5000, previous: 1000, of: 4, guards: guards) == nil)  // growth is fine
    }
}

@Suite struct SQLiteConfigurationTests {
    @Test func readsPathAndQuery() throws {
        var configuration = Configuration()
        try ConfigurationLoader().parse(
            "[[source]]\nname = \"u\"\nnamespace = \"user\"\nkind = \"sqlite\"\npath = \"/data/u.db\"\nquery = \"SELECT id, name FROM u\"\n",
            file: "/x.toml", into: &configuration)
        #expect(configuration.sources[0].settings == .sqlite(.init(path: "/data/u.db", query: "SELECT id, name FROM u")))
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

@Suite struct CommandConfigurationTests {
    let head = "[[source]]\nname = \"u\"\nnamespace = \"user\"\nkind = \"command\"\n"

    @Test func readsTheArgvAndTheRowFormat() throws {
        var configuration = Configuration()
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
        ("command = [\"x\"]\npath = \"y\"\n", "source[1].path", "unknown key for kind 'command' (known keys: check_command, check_interval, check_query, command, format, header, key_column, key_field, kind, max_line_bytes, max_shrink, min_rows, name, name_column, name_field, namespace, on_failure, parallelism, partitions, reload_interval, reload_jitter, retries, retry_delay, stall_timeout, timeout)"),
    ])
    func mistakesSayWhatWasExpected(_ extra: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(head + extra))
        #expect(error.key == key)
        #expect(error.message == message)
    }
}

@Suite struct ExampleConfigurationTests {
    /// examples/nameindexd.toml documents every kind: it must stay a valid configuration.
    @Test func theAnnotatedExampleIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let configuration = try ConfigurationLoader().load(path: root.appendingPathComponent("examples/nameindexd.toml").path)
        #expect(configuration.sources.map(\.kind) == [.command, .postgresql, .file, .sqlite, .file])
        #expect(configuration.sources[0].fetch.partitions == 8)
        #expect(configuration.sources[0].guards == .init(minRows: 1_000_000, maxShrink: 0.1, onFailure: .keep))
        #expect(configuration.daemon.maxParallelFetches == 4)
        #expect(Set(Configuration.Kind.allCases) == Set(configuration.sources.map(\.kind)))
    }
}

/// Control characters: TOML allows none but tab, LF and CR, and the parser underneath aborts
/// on some of them (a fuzzing find, replayed from fuzz/corpus/config); refused first, with
/// their line.
@Suite struct ConfigurationControlCharacterTests {
    @Test(arguments: [0x00, 0x01, 0x0E, 0x1F, 0x7F] as [UInt8])
    func aControlCharacterIsASyntaxErrorWithItsLine(byte: UInt8) throws {
        let text = "[daemon]\n# a comment\n[" + String(decoding: [byte], as: UTF8.self) + "daemon]\n"
        let error = try #require(configurationError(text))
        #expect(error.code == .syntax)
        #expect(error.line == 3)
        #expect(error.message.hasPrefix("invalid TOML: control character U+00"), "\(error.message)")
    }

    @Test func tabsAndCRLFAreFine() {
        #expect(configurationError("[daemon]\r\n\tmax_connections = 5\t# tab\r\n") == nil)
    }
}

/// Table headers the TOML parser would assume start with a key (fuzzing finds).
@Suite struct ConfigurationTableHeaderTests {
    @Test(arguments: ["[ = \"x\"]\n", "[.a]\n", "[[ =]]\n", "[ #]\n", "\n  [,]\n"])
    func aHeaderWithoutAKeyIsASyntaxError(text: String) throws {
        let error = try #require(configurationError("[daemon]\n" + text))
        #expect(error.code == .syntax)
        #expect(error.message == "invalid TOML: a table header must start with a key", "\(error.message)")
    }

    /// A byte-order mark does not hide the first line's header from the check (the parser
    /// skips the mark, so the line still starts with `[`).
    @Test func aHeaderWithoutAKeyAfterAByteOrderMarkIsASyntaxError() throws {
        let error = try #require(configurationError("\u{FEFF}[$a]\n"))
        #expect(error.code == .syntax && error.line == 1)
        #expect(error.message == "invalid TOML: a table header must start with a key", "\(error.message)")
        #expect(configurationError("\u{FEFF}[daemon]\n") == nil)
    }

    @Test(arguments: [
        ("reload_interval = [1 }\n", "'}' does not close the bracket opened before it"),
        ("reload_interval = [[1]]]\n", "']' does not close the bracket opened before it"),
        ("reload_interval = ]\n", "a key needs a value after '='"),
        ("reload_interval = { a = }\n", "a key needs a value after '='"),
        ("reload_interval =\n", "a key needs a value after '='"),
        ("reload_interval = 0407-02-00 7 #\n", "a date followed by a space must go on with a time"),
        ("reload_interval = [1979-05-27 0]\n", "a date followed by a space must go on with a time"),
        ("reload_interval = 19_79-05-27_ 0,\n", "a date followed by a space must go on with a time"),
        ("reload_interval = 0407-0\"-00 7 ?\n", "a date followed by a space must go on with a time"),
        ("reload_interval = 0407-éé-00 7 ]\n", "a date followed by a space must go on with a time"),
    ])
    func bracketsThatDoNotMatchAndMissingValuesAreSyntaxErrors(text: String, message: String) throws {
        let error = try #require(configurationError("[daemon]\n" + text))
        #expect(error.code == .syntax && error.line == 2)
        #expect(error.message == "invalid TOML: " + message, "\(error.message)")
    }

    /// Dates and date-times the check leaves to the parser.
    @Test(arguments: ["1979-05-27 07:32:00", "1979-05-27", "1979-05-27T07:32:00Z", "1979-05-27 07:32:00.5+01:00"])
    func dateTimesAreNotRefusedByTheCheck(value: String) throws {
        #expect(throws: Never.self) { try TOMLPrecheck.check("[daemon]\nwhen = \(value)\n") }
    }

    /// Brackets that are values, strings or comments are not headers.
    @Test func arraysStringsAndCommentsAreNotHeaders() {
        let text = #"""
            [daemon]
            # [ = comment
            control_group = "[ = x"

            [[source]]
            name = "a"
            namespace = "user"
            kind = "command"
            command = [
              "sh", '-c',
              """
            [ = not a header
            """,
            ]
            """#
        #expect(configurationError(text)?.message.contains("table header") != true, "\(String(describing: configurationError(text)))")
    }
}
