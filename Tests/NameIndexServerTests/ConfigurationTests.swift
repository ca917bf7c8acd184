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

    func load() throws -> Configuration { try ConfigurationLoader().load(path: mainPath, defaults: .testing) }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Parses `text` alone and returns the error it raises.
/// `text` read as the main configuration file, on the test defaults.
func parsedConfiguration(_ text: String) throws -> Configuration {
    var configuration = Configuration(defaults: .testing)
    try ConfigurationLoader().parse(text, file: "/etc/nameindexd/nameindexd.toml", into: &configuration)
    return configuration
}

func configurationError(_ text: String) -> ConfigurationError? {
    do {
        _ = try parsedConfiguration(text)
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
        #expect(configuration.daemon == ConfigurationDefaults(coreCount: 2, runtimeDirectory: "/run/x", stateDirectory: "/var/lib/x").daemon)
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
        if let file = configuration.sources[1].settings.file {
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
            try ConfigurationLoader().load(path: "/nonexistent/nameindexd.toml", defaults: .testing)
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
         "source[1].partition_by", "expected 'pages', 'hash' or 'range', got 'modulo'"),
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
        let configuration = try parsedConfiguration(text)
        guard let pg = configuration.sources[0].settings.postgresql else {
            Issue.record("not a postgresql source")
            return
        }
        #expect(pg.url.settings["host"] == "db" && pg.url.settings["user"] == "reader" && pg.url.settings["dbname"] == "app")
        #expect(pg.query.filter == PartitionFilter(method: .range, key: "a.id"))
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
        let text = configuration.renderedTOML()
        var reparsed = Configuration(
            defaults: ConfigurationDefaults(coreCount: 64, runtimeDirectory: "/run/r", stateDirectory: "/var/lib/s"))
        try ConfigurationLoader().parse(text, file: fixture.mainPath, into: &reparsed)
        #expect(reparsed.sources == configuration.sources)
        #expect(reparsed.daemon == configuration.daemon)
    }
}
