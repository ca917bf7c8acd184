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

    /// Loads `path` and the drop-ins of `conf.d` beside it, starting from `defaults`.
    ///
    /// - Throws: ``ConfigurationError`` for the first problem found.
    public func load(path: String, defaults: ConfigurationDefaults) throws -> Configuration {
        let main = URL(fileURLWithPath: path).standardizedFileURL.path
        var configuration = Configuration(defaults: defaults)
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
            try readDaemon(TableReader(table: daemon, file: file, path: "daemon"), into: &configuration.daemon)
        }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        for (position, sourceTable) in try reader.tables("source").enumerated() {
            let keys = TableReader(table: sourceTable, file: file, path: "source[\(position + 1)]")
            let source = try readSource(keys, directory: directory)
            if let existing = configuration.sources.first(where: { $0.name == source.name }) {
                throw keys.error(.duplicateSource, "name", "source '\(source.name)' is already defined in \(existing.origin)")
            }
            configuration.sources.append(source)
        }
        configuration.resolveSourceTimers()
    }

    /// The keys of `[daemon]`.
    public static let daemonKeys: [ConfigurationKey] = [
        .init("runtime_directory", .absolutePath), .init("state_directory", .absolutePath),
        .init("refresh_on_start", .boolean), .init("max_parallel_fetches", .integer),
        .init("max_parallel_commands", .integer), .init("max_connections", .integer),
        .init("control_max_connections", .integer), .init("request_timeout", .timeSpan),
        .init("lookup_idle_timeout", .timeSpan), .init("lookup_threads", .integer), .init("control_group", .string),
        .init("reload_interval", .timeSpan), .init("reload_jitter", .timeSpan), .init("snapshot_interval", .timeSpan),
        .init("metrics_textfile", .absolutePath), .init("metrics_interval", .timeSpan), .init("metrics_listen", .string),
        .init("miss_sample", .integer), .init("skipped_sample", .integer),
    ]

    /// Reads the keys one `[daemon]` table sets over what `daemon` holds.
    private func readDaemon(_ keys: TableReader, into daemon: inout Configuration.Daemon) throws {
        try keys.rejectUnknown(allowed: Set(Self.daemonKeys.map(\.name)))
        if let value = try keys.timeSpan("reload_interval") { daemon.reloadInterval = value }
        if let value = try keys.timeSpan("reload_jitter", allowZero: true) { daemon.reloadJitter = value }
        if let value = try keys.nonEmptyString("control_group") { daemon.controlGroup = value }
        if let value = try keys.absolutePath("runtime_directory") { daemon.runtimeDirectory = value }
        if let value = try keys.absolutePath("state_directory") { daemon.stateDirectory = value }
        if let value = try keys.bool("refresh_on_start") { daemon.refreshOnStart = value }
        if let n = try keys.wholeNumber("max_parallel_fetches", in: 1...Int.max) { daemon.maxParallelFetches = n }
        if let n = try keys.wholeNumber("max_parallel_commands", in: 1...1024) { daemon.maxParallelCommands = n }
        if let n = try keys.wholeNumber("max_connections", in: 1...Int.max) { daemon.maxConnections = n }
        if let n = try keys.wholeNumber("control_max_connections", in: 4...1_000_000) { daemon.controlMaxConnections = n }
        if let value = try keys.timeSpan("request_timeout") { daemon.requestTimeout = value }
        if let value = try keys.timeSpan("lookup_idle_timeout", allowZero: true) { daemon.lookupIdleTimeout = value }
        if let n = try keys.wholeNumber("lookup_threads", in: 1...256) { daemon.lookupThreads = n }
        if let value = try keys.timeSpan("snapshot_interval", allowZero: true) { daemon.snapshotInterval = value }
        if let value = try keys.absolutePath("metrics_textfile") {
            guard value.hasSuffix(".prom") else {
                throw keys.error(.invalidValue, "metrics_textfile", "expected a file name ending in .prom (node_exporter reads only those), got '\(value)'")
            }
            daemon.metricsTextfile = value
        }
        if let value = try keys.timeSpan("metrics_interval") { daemon.metricsInterval = value }
        if let n = try keys.wholeNumber("miss_sample", in: 0...ConfigurationDefaults.maximumMissSample) { daemon.missSample = n }
        if let n = try keys.wholeNumber("skipped_sample", in: 0...ConfigurationDefaults.maximumSkippedSample) { daemon.skippedSample = n }
        if let text = try keys.string("metrics_listen") {
            guard let address = Configuration.Daemon.ListenAddress(text) else {
                throw keys.error(.invalidValue, "metrics_listen", "expected a host and a port, such as \"127.0.0.1:9477\" or \"[::1]:9477\", got '\(text)'")
            }
            daemon.metricsListenAddress = address
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

    /// Reads one `[[source]]` table: the keys of every source here, the rest by its kind.
    private func readSource(_ keys: TableReader, directory: URL) throws -> Configuration.Source {
        let name = try keys.requiredString("name")
        try keys.check(
            "name", name, isValid: Self.isValidName,
            expected: "a name of letters, digits, '_', '.' and '-' (at most 64 bytes)")
        let namespace = try keys.requiredString("namespace")
        try keys.check(
            "namespace", namespace, isValid: Self.isValidNamespace,
            expected: "a namespace of letters, digits, '_', '.', ':' and '-' (at most 255 bytes)")
        let kindName = try keys.requiredString("kind")
        guard let kind = SourceKinds.named(kindName) else {
            let known = SourceKinds.all.map { "'\($0.name)'" }.joined(separator: ", ")
            throw keys.error(.invalidValue, "kind", "expected one of \(known), got '\(kindName)'")
        }
        let partitions = try keys.wholeNumber("partitions", in: 1...1024) ?? ConfigurationDefaults.partitions
        let fetch = FetchPolicy(
            timeout: try keys.timeSpan("timeout") ?? ConfigurationDefaults.timeout,
            stallTimeout: try keys.timeSpan("stall_timeout") ?? ConfigurationDefaults.stallTimeout,
            retries: try keys.wholeNumber("retries", in: 0...100) ?? ConfigurationDefaults.retries,
            retryDelay: try keys.timeSpan("retry_delay", allowZero: true) ?? ConfigurationDefaults.retryDelay,
            partitions: partitions, parallelism: try keys.wholeNumber("parallelism", in: 1...Int.max))
        var guards = Configuration.Guards()
        if let n = try keys.wholeNumber("min_rows", in: 0...Int.max) { guards.minRows = n }
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
        try rejectKeys(of: kind, keys)
        let checkInterval = try keys.timeSpan("check_interval")
        let settings = try kind.init(
            reading: SourceTable(keys: keys, directory: directory, partitions: partitions, checkInterval: checkInterval))
        var source = Configuration.Source(
            name: name, namespace: namespace, settings: settings, guards: guards, fetch: fetch, origin: keys.file)
        source.ownTimer = .init(
            interval: try keys.timeSpan("reload_interval"), jitter: try keys.timeSpan("reload_jitter", allowZero: true))
        source.checkInterval = checkInterval
        source.delta = try readDelta(keys, hasDelta: settings.hasDelta, kind: kind.name)
        return source
    }

    /// The common delta keys, which need the kind's delta query.
    private func readDelta(_ keys: TableReader, hasDelta: Bool, kind: String) throws -> Configuration.Delta? {
        let names = ["delta_interval", "delta_jitter", "delta_lag", "compact_above"]
        guard hasDelta else {
            if let key = names.first(where: { keys.value($0) != nil }) {
                let query = kind == CommandKind.name ? "delta_command" : "delta_query"
                throw keys.error(.missingKey, query, "\(key) needs \(query): what returns the rows changed since {watermark}")
            }
            return nil
        }
        var delta = Configuration.Delta(
            interval: try keys.timeSpan("delta_interval"), jitter: try keys.timeSpan("delta_jitter", allowZero: true))
        if let value = keys.value("delta_lag") {
            if let n = value.int {
                guard n >= 0 else { throw keys.error(.invalidValue, "delta_lag", "expected a whole number from 0, or a time span") }
                delta.lag = .units(Int64(n))
            } else if let text = value.string, let span = TimeSpan.parse(text) {
                delta.lag = .seconds(Int64((span.microseconds + 999_999) / 1_000_000))
            } else {
                throw keys.error(
                    .invalidValue, "delta_lag",
                    "expected a whole number (for an integer watermark) or a time span such as \"5min\" (for a timestamp)")
            }
        }
        if let text = try keys.string("compact_above") {
            guard text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 else {
                throw keys.error(.invalidValue, "compact_above", "expected a percentage above \"0%\" up to \"100%\", got '\(text)'")
            }
            delta.compactAbove = percent / 100
        }
        return delta
    }

    /// Refuses a key `kind` does not have, naming the kinds that do have it.
    private func rejectKeys(of kind: any SourceKind.Type, _ keys: TableReader) throws {
        let allowed = SourceKinds.keys(of: kind)
        for key in keys.table.keys.sorted() where !allowed.contains(key) {
            let owners = SourceKinds.all.filter { SourceKinds.keys(of: $0).contains(key) }.map { $0.name }
            if !owners.isEmpty {
                let list = owners.count == 1 ? "\(owners[0]) has it" : owners.dropLast().joined(separator: ", ") + " and \(owners.last!) have it"
                throw keys.error(.unknownKey, key, "not a key of kind '\(kind.name)' (\(list))")
            }
        }
        try keys.rejectUnknown(allowed: allowed, kind: kind.name)
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
