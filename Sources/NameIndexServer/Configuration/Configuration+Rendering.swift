import NameIndexSources

extension Configuration {
    /// The effective configuration as TOML, for `nameindexd --check-config`.
    ///
    /// Paths are shown resolved; each source notes the file it came from.
    public func renderedTOML(runtimeDirectory: String, stateDirectory: String) -> String {
        var lines: [String] = []
        lines.append("# Effective configuration, read from:")
        for file in files { lines.append("#   \(file)") }
        lines.append("")
        lines.append("[daemon]")
        lines.append("runtime_directory = \(quoted(runtimeDirectory))")
        lines.append("state_directory = \(quoted(stateDirectory))")
        lines.append("refresh_on_start = \(daemon.refreshOnStart ?? true)")
        if let n = daemon.maxParallelFetches { lines.append("max_parallel_fetches = \(n)") }
        if let n = daemon.maxConnections { lines.append("max_connections = \(n)") }
        if let n = daemon.lookupThreads { lines.append("lookup_threads = \(n)") }
        lines.append("control_max_connections = \(daemon.controlMaxConnections)")
        lines.append("request_timeout = \(quoted(TimeSpan.format(daemon.requestTimeout)))")
        lines.append("lookup_idle_timeout = \(quoted(TimeSpan.format(daemon.lookupIdleTimeout)))")
        if let group = daemon.controlGroup { lines.append("control_group = \(quoted(group))") }
        if let interval = daemon.reloadInterval { lines.append("reload_interval = \(quoted(TimeSpan.format(interval)))") }
        if let jitter = daemon.reloadJitter { lines.append("reload_jitter = \(quoted(TimeSpan.format(jitter)))") }
        for source in sources {
            lines.append("")
            lines.append("# from \(source.origin)")
            lines.append("[[source]]")
            lines.append("name = \(quoted(source.name))")
            lines.append("namespace = \(quoted(source.namespace))")
            lines.append("kind = \(quoted(source.kind.rawValue))")
            lines.append("min_rows = \(source.guards.minRows)")
            if let shrink = source.guards.maxShrink { lines.append("max_shrink = \(quoted(percent(shrink)))") }
            lines.append("on_failure = \(quoted(source.guards.onFailure.rawValue))")
            lines.append("timeout = \(quoted(TimeSpan.format(source.fetch.timeout)))")
            lines.append("stall_timeout = \(quoted(TimeSpan.format(source.fetch.stallTimeout)))")
            lines.append("retries = \(source.fetch.retries)")
            lines.append("retry_delay = \(quoted(TimeSpan.format(source.fetch.retryDelay)))")
            if let interval = source.reloadInterval { lines.append("reload_interval = \(quoted(TimeSpan.format(interval)))") }
            if let jitter = source.reloadJitter { lines.append("reload_jitter = \(quoted(TimeSpan.format(jitter)))") }
            if let check = source.check {
                lines.append("check_interval = \(quoted(TimeSpan.format(check.interval)))")
                if let query = check.query { lines.append("check_query = \(quoted(query))") }
                if let command = check.command { lines.append("check_command = [" + command.map(quoted).joined(separator: ", ") + "]") }
            }
            lines.append("partitions = \(source.fetch.partitions)")
            if let n = source.fetch.parallelism { lines.append("parallelism = \(n)") }
            switch source.settings {
            case .postgresql(let postgresql):
                lines.append("url = \(quoted(postgresql.location.description))")
                lines.append("query = \(quoted(postgresql.query))")
                lines += filterLines(postgresql.filter)
                switch postgresql.password {
                case .file(let path): lines.append("password_file = \(quoted(path))")
                case .credential(let name): lines.append("password_credential = \(quoted(name))")
                case nil: break
                }
            case .sqlite(let sqlite):
                lines.append("path = \(quoted(sqlite.path))")
                lines.append("query = \(quoted(sqlite.query))")
                lines += filterLines(sqlite.filter)
            case .file(let file):
                lines.append("path = \(quoted(file.path))")
                lines += rowFormatLines(file.rows)
            case .command(let command):
                lines.append("command = [" + command.arguments.map(quoted).joined(separator: ", ") + "]")
                lines += rowFormatLines(command.rows)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func filterLines(_ filter: PartitionFilter?) -> [String] {
        guard let filter else { return [] }
        return ["partition_by = \(quoted(filter.method.rawValue))", "partition_key = \(quoted(filter.key))"]
    }

    private func rowFormatLines(_ rows: RowFormat) -> [String] {
        var lines = ["format = \(quoted(rows.format.rawValue))"]
        if rows.format == .ndjson {
            lines.append("key_field = \(quoted(rows.keyField))")
            lines.append("name_field = \(quoted(rows.nameField))")
        } else {
            lines.append("header = \(rows.header)")
            lines.append("key_column = \(column(rows.keyColumn))")
            lines.append("name_column = \(column(rows.nameColumn))")
        }
        lines.append("max_line_bytes = \(rows.maximumLineBytes)")
        return lines
    }

    private func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        return value.rounded() == value ? "\(Int(value))%" : "\(value)%"
    }

    private func column(_ column: DelimitedParser.Column) -> String {
        switch column {
        case .number(let n): "\(n)"
        case .name(let name): quoted(name)
        }
    }

    private func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
