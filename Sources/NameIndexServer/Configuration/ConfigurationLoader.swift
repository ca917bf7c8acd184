import Foundation
import NameIndexSources
import TOMLKit

/// Reads the main configuration file and its drop-ins into a ``Configuration``.
///
/// The main file comes first; then every `*.toml` file in the `conf.d`
/// directory beside it, in name order. A drop-in may set `[daemon]` keys (a
/// later file wins, key by key) and add `[[source]]` tables (after all
/// earlier ones; source names must be unique). Unknown keys are errors, so a
/// typo is never silently ignored.
public struct ConfigurationLoader: Sendable {
    public init() {}

    /// Loads `path` and the drop-ins of `conf.d` beside it.
    ///
    /// - Throws: ``ConfigurationError`` for the first problem found.
    public func load(path: String) throws -> Configuration {
        let main = URL(fileURLWithPath: path).standardizedFileURL.path
        var configuration = Configuration()
        try apply(file: main, to: &configuration, mustExist: true)
        for dropIn in try dropIns(of: main) {
            try apply(file: dropIn, to: &configuration, mustExist: true)
        }
        return configuration
    }

    /// Parses TOML text as if it were the file `file` (for tests and `--check-config`).
    public func parse(_ text: String, file: String, into configuration: inout Configuration) throws {
        try Self.precheck(text, file: file)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                code: .syntax, file: file, line: error.source.begin.line, message: "invalid TOML: \(error.description)")
        }
        configuration.files.append(file)
        let reader = TableReader(table: table, file: file, path: nil)
        try reader.rejectUnknown(allowed: ["daemon", "source"])
        if let daemon = try reader.table("daemon") {
            let keys = TableReader(table: daemon, file: file, path: "daemon")
            try keys.rejectUnknown(allowed: Self.daemonKeys)
            if let value = try keys.timeSpan("reload_interval") { configuration.daemon.reloadInterval = value }
            if let value = try keys.timeSpan("reload_jitter", allowZero: true) { configuration.daemon.reloadJitter = value }
            if let value = try keys.nonEmptyString("control_group") { configuration.daemon.controlGroup = value }
            if let value = try keys.absolutePath("runtime_directory") { configuration.daemon.runtimeDirectory = value }
            if let value = try keys.absolutePath("state_directory") { configuration.daemon.stateDirectory = value }
            if let value = try keys.bool("refresh_on_start") { configuration.daemon.refreshOnStart = value }
            if let value = keys.value("max_parallel_fetches") {
                guard let n = value.int, n >= 1 else {
                    throw keys.error(.invalidValue, "max_parallel_fetches", "expected a whole number from 1")
                }
                configuration.daemon.maxParallelFetches = n
            }
            if let value = keys.value("max_connections") {
                guard let n = value.int, n >= 1 else {
                    throw keys.error(.invalidValue, "max_connections", "expected a whole number from 1")
                }
                configuration.daemon.maxConnections = n
            }
            if let n = try keys.wholeNumber("control_max_connections", in: 4...1_000_000) {
                configuration.daemon.controlMaxConnections = n
            }
            if let value = try keys.timeSpan("request_timeout") { configuration.daemon.requestTimeout = value }
            if let value = try keys.timeSpan("lookup_idle_timeout", allowZero: true) { configuration.daemon.lookupIdleTimeout = value }
            if let value = keys.value("lookup_threads") {
                guard let n = value.int, n >= 1, n <= 256 else {
                    throw keys.error(.invalidValue, "lookup_threads", "expected a whole number from 1 to 256")
                }
                configuration.daemon.lookupThreads = n
            }
        }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        for (position, sourceTable) in try reader.tables("source").enumerated() {
            var source = try parseSource(
                sourceTable, file: file, path: "source[\(position + 1)]", directory: directory)
            let keys = TableReader(table: sourceTable, file: file, path: "source[\(position + 1)]")
            source.reloadInterval = try keys.timeSpan("reload_interval")
            source.reloadJitter = try keys.timeSpan("reload_jitter", allowZero: true)
            source.check = try changeCheck(keys, kind: source.kind)
            if let existing = configuration.sources.first(where: { $0.name == source.name }) {
                throw ConfigurationError(
                    code: .duplicateSource, file: file, key: "source[\(position + 1)].name",
                    message: "source '\(source.name)' is already defined in \(existing.origin)")
            }
            configuration.sources.append(source)
        }
    }

    private func apply(file: String, to configuration: inout Configuration, mustExist: Bool) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            let exists = FileManager.default.fileExists(atPath: file)
            throw ConfigurationError(
                code: exists ? .unreadable : .fileNotFound, file: file,
                message: exists ? "cannot read the file" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(code: .syntax, file: file, message: "the file is not valid UTF-8")
        }
        try parse(text, file: file, into: &configuration)
    }

    private func dropIns(of main: String) throws -> [String] {
        let directory = URL(fileURLWithPath: main).deletingLastPathComponent().appendingPathComponent("conf.d")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { return [] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw ConfigurationError(code: .unreadable, file: directory.path, message: "cannot list the drop-in directory")
        }
        return names.filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            .map { directory.appendingPathComponent($0).path }
    }

    /// The keys of `[daemon]`.
    public static let daemonKeys: Set<String> = [
        "runtime_directory", "state_directory", "refresh_on_start", "max_parallel_fetches", "control_group",
        "reload_interval", "reload_jitter", "max_connections", "lookup_threads", "control_max_connections",
        "request_timeout", "lookup_idle_timeout",
    ]

    /// The keys a `[[source]]` of `kind` may have.
    public static func sourceKeys(_ kind: Configuration.Kind) -> Set<String> {
        let common: Set<String> = [
            "name", "namespace", "kind", "min_rows", "max_shrink", "on_failure", "timeout", "stall_timeout", "retries",
            "retry_delay", "reload_interval", "reload_jitter", "check_interval", "check_query", "check_command",
            "partitions", "parallelism",
        ]
        let rowKeys: Set<String> = ["format", "header", "key_column", "name_column", "key_field", "name_field", "max_line_bytes"]
        let filterKeys: Set<String> = ["partition_by", "partition_key"]
        switch kind {
        case .command: return common.union(rowKeys).union(["command"])
        case .file: return common.union(rowKeys).union(["path"])
        case .sqlite: return common.union(filterKeys).union(["path", "query"])
        case .postgresql: return common.union(filterKeys).union(["url", "query", "password_file", "password_credential"])
        }
    }

    private func parseSource(_ table: TOMLTable, file: String, path: String, directory: URL) throws
        -> Configuration.Source
    {
        let keys = TableReader(table: table, file: file, path: path)
        let name = try keys.requiredString("name")
        try keys.check(
            "name", name, isValid: Self.isValidName,
            expected: "a name of letters, digits, '_', '.' and '-' (at most 64 bytes)")
        let namespace = try keys.requiredString("namespace")
        try keys.check(
            "namespace", namespace, isValid: Self.isValidNamespace,
            expected: "a namespace of letters, digits, '_', '.', ':' and '-' (at most 255 bytes)")
        let kindName = try keys.requiredString("kind")
        guard let kind = Configuration.Kind(rawValue: kindName) else {
            let known = Configuration.Kind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw keys.error(.invalidValue, "kind", "expected one of \(known), got '\(kindName)'")
        }
        var fetch = FetchPolicy()
        if let value = try keys.timeSpan("timeout") { fetch.timeout = value }
        if let value = try keys.timeSpan("stall_timeout") { fetch.stallTimeout = value }
        if let value = try keys.timeSpan("retry_delay", allowZero: true) { fetch.retryDelay = value }
        if let value = keys.value("retries") {
            guard let n = value.int, n >= 0, n <= 100 else { throw keys.error(.invalidValue, "retries", "expected a whole number from 0 to 100") }
            fetch.retries = n
        }
        var guards = Configuration.Guards()
        if let value = keys.value("min_rows") {
            guard let n = value.int, n >= 0 else { throw keys.error(.invalidValue, "min_rows", "expected a whole number from 0") }
            guards.minRows = n
        }
        if let text = try keys.string("max_shrink") {
            guard text.hasSuffix("%"), let percent = Double(text.dropLast()), percent >= 0, percent <= 100 else {
                throw keys.error(.invalidValue, "max_shrink", "expected a percentage from \"0%\" to \"100%\", got '\(text)'")
            }
            guards.maxShrink = percent / 100
        }
        if let text = try keys.string("on_failure") {
            guard let value = Configuration.Guards.OnFailure(rawValue: text) else {
                throw keys.error(.invalidValue, "on_failure", "expected 'keep' or 'fail', got '\(text)'")
            }
            guards.onFailure = value
        }
        if let value = keys.value("partitions") {
            guard let n = value.int, n >= 1, n <= 1024 else {
                throw keys.error(.invalidValue, "partitions", "expected a whole number from 1 to 1024")
            }
            fetch.partitions = n
        }
        if let value = keys.value("parallelism") {
            guard let n = value.int, n >= 1 else { throw keys.error(.invalidValue, "parallelism", "expected a whole number from 1") }
            fetch.parallelism = n
        }
        try keys.rejectUnknown(allowed: Self.sourceKeys(kind), kind: kind.rawValue)
        switch kind {
        case .command:
            guard let value = keys.value("command") else {
                throw keys.error(.missingKey, "command", "missing required key (an array of strings: the program and its arguments)")
            }
            guard let array = value.array, array.count > 0 else {
                throw keys.error(.invalidValue, "command", "expected a non-empty array of strings, such as [\"beeline\", \"-e\", \"SELECT id, name FROM t\"]")
            }
            var arguments: [String] = []
            for i in 0..<array.count {
                guard let argument = array[i].string else {
                    throw keys.error(.invalidValue, "command", "expected strings only; element \(i + 1) is \(TableReader.describe(array[i].type))")
                }
                arguments.append(argument)
            }
            guard !arguments[0].isEmpty else { throw keys.error(.invalidValue, "command", "the program (element 1) is empty") }
            if fetch.partitions > 1, !arguments.contains(where: { $0.contains("{partition}") }) {
                throw keys.error(
                    .invalidValue, "partitions",
                    "partitions = \(fetch.partitions) needs {partition} in the command, or every partition would fetch every row")
            }
            return .init(
                name: name, namespace: namespace,
                settings: .command(
                    .init(arguments: arguments, rows: try rowFormat(keys), workingDirectory: directory.standardizedFileURL.path)),
                guards: guards, fetch: fetch, origin: file)
        case .sqlite:
            let relative = try keys.requiredString("path")
            guard !relative.isEmpty else { throw keys.error(.invalidValue, "path", "expected a file path, got ''") }
            let query = try sqlQuery(keys)
            let filter = try partitionFilter(keys, query: query, partitions: fetch.partitions)
            let resolved = URL(fileURLWithPath: relative, relativeTo: directory).standardizedFileURL.path
            return .init(
                name: name, namespace: namespace, settings: .sqlite(.init(path: resolved, query: query, filter: filter)),
                guards: guards, fetch: fetch, origin: file)
        case .postgresql:
            let url = try keys.requiredString("url")
            let location: PostgresLocation
            do {
                location = try PostgresLocation(parsing: url)
            } catch {
                throw keys.error(.invalidValue, "url", "\(error.message)")
            }
            let query = try sqlQuery(keys)
            let filter = try partitionFilter(keys, query: query, partitions: fetch.partitions)
            var password: Configuration.Secret?
            if let path = try keys.nonEmptyString("password_file") {
                password = .file(URL(fileURLWithPath: path, relativeTo: directory).standardizedFileURL.path)
            }
            if let credential = try keys.nonEmptyString("password_credential") {
                guard password == nil else {
                    throw keys.error(.invalidValue, "password_credential", "give either password_file or password_credential, not both")
                }
                try keys.check(
                    "password_credential", credential, isValid: { $0 != "." && $0 != ".." && !$0.contains("/") },
                    expected: "a credential name (no '/')")
                password = .credential(credential)
            }
            return .init(
                name: name, namespace: namespace,
                settings: .postgresql(.init(location: location, query: query, filter: filter, password: password)),
                guards: guards, fetch: fetch, origin: file)
        case .file:
            let relative = try keys.requiredString("path")
            guard !relative.isEmpty else { throw keys.error(.invalidValue, "path", "expected a file path, got ''") }
            let resolved = URL(fileURLWithPath: relative, relativeTo: directory).standardizedFileURL.path
            let rows = try rowFormat(keys)
            if rows.format == .csv && fetch.partitions > 1 {
                throw keys.error(
                    .invalidValue, "partitions",
                    "a csv file is not cut into byte ranges, since a quoted field may hold a line break; use partitions = 1")
            }
            return .init(
                name: name, namespace: namespace,
                settings: .file(.init(path: resolved, rows: rows)), guards: guards, fetch: fetch, origin: file)
        }
    }

    /// `check_interval` with `check_query` (postgresql, sqlite) or `check_command` (command); a
    /// file needs only the interval.
    private func changeCheck(_ keys: TableReader, kind: Configuration.Kind) throws -> Configuration.Check? {
        let interval = try keys.timeSpan("check_interval")
        let query = try keys.nonEmptyString("check_query")
        var command: [String]?
        if let value = keys.value("check_command") {
            guard let array = value.array, array.count > 0, (0..<array.count).allSatisfy({ array[$0].string != nil }),
                let first = array[0].string, !first.isEmpty
            else {
                throw keys.error(.invalidValue, "check_command", "expected a non-empty array of strings: a program and its arguments")
            }
            command = (0..<array.count).map { array[$0].string! }
        }
        if query != nil && kind != .postgresql && kind != .sqlite {
            throw keys.error(.unknownKey, "check_query", "not a key of kind '\(kind.rawValue)' (postgresql and sqlite have it)")
        }
        if command != nil && kind != .command {
            throw keys.error(.unknownKey, "check_command", "not a key of kind '\(kind.rawValue)' (command has it)")
        }
        guard let interval else {
            if query != nil || command != nil {
                throw keys.error(.missingKey, "check_interval", "a change check needs check_interval (how often to check)")
            }
            return nil
        }
        switch kind {
        case .postgresql where query == nil, .sqlite where query == nil:
            throw keys.error(.missingKey, "check_query", "check_interval needs check_query: the query whose value changes with the data")
        case .command where command == nil:
            throw keys.error(.missingKey, "check_command", "check_interval needs check_command: the program whose output changes with the data")
        default:
            return Configuration.Check(interval: interval, query: query, command: command)
        }
    }

    /// `query`: non-empty SQL.
    private func sqlQuery(_ keys: TableReader) throws -> String {
        let query = try keys.requiredString("query")
        guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw keys.error(.invalidValue, "query", "expected an SQL query, got an empty string")
        }
        return query
    }

    /// `partition_by` and `partition_key`, which belong with `{partition_filter}` in the query.
    private func partitionFilter(_ keys: TableReader, query: String, partitions: Int) throws -> PartitionFilter? {
        let placeholder = query.contains(PartitionFilter.placeholder)
        let key = try keys.nonEmptyString("partition_key")
        let methodName = try keys.string("partition_by")
        guard placeholder else {
            if key != nil || methodName != nil {
                throw keys.error(
                    .invalidValue, key != nil ? "partition_key" : "partition_by",
                    "the query has no {partition_filter} for the partition predicate to go into")
            }
            if partitions > 1, !query.contains("{partition}") {
                throw keys.error(
                    .invalidValue, "partitions",
                    "partitions = \(partitions) needs {partition_filter} (with partition_key) or {partition} in the query, or every partition would fetch every row")
            }
            return nil
        }
        guard let key else {
            throw keys.error(.missingKey, "partition_key", "the query has {partition_filter}: name the key to partition on (e.g. \"id\")")
        }
        var method = PartitionFilter.Method.hash
        if let methodName {
            guard let known = PartitionFilter.Method(rawValue: methodName) else {
                throw keys.error(.invalidValue, "partition_by", "expected 'hash' or 'range', got '\(methodName)'")
            }
            method = known
        }
        return PartitionFilter(method: method, key: key)
    }

    /// The row format keys shared by the kinds that read text: `format` and its columns or fields.
    private func rowFormat(_ keys: TableReader) throws -> RowFormat {
        let header = try keys.bool("header") ?? false
        var format = FileFormat.tsv
        if let text = try keys.string("format") {
            guard let known = FileFormat(rawValue: text) else {
                throw keys.error(.invalidValue, "format", "expected one of 'tsv', 'csv', 'ndjson', got '\(text)'")
            }
            format = known
        }
        // Columns belong to TSV and CSV, fields to NDJSON: a key of the other kind is a mistake.
        for key in format == .ndjson ? ["key_column", "name_column", "header"] : ["key_field", "name_field"]
        where keys.value(key) != nil {
            throw keys.error(.unknownKey, key, "not a key of format '\(format.rawValue)'")
        }
        return RowFormat(
            format: format, header: header,
            keyColumn: try keys.column("key_column", header: header) ?? .number(1),
            nameColumn: try keys.column("name_column", header: header) ?? .number(2),
            keyField: try keys.nonEmptyString("key_field") ?? "id",
            nameField: try keys.nonEmptyString("name_field") ?? "name",
            maximumLineBytes: try keys.wholeNumber("max_line_bytes", in: RowFormat.maximumLineBytesRange)
                ?? RowFormat.defaultMaximumLineBytes)
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "_.-".unicodeScalars.contains($0) }
    }

    static func isValidNamespace(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255
            && name.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "_.:-".unicodeScalars.contains($0) }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
