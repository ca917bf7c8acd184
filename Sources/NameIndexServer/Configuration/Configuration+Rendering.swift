import NameIndexSources

extension Configuration {
    /// The effective configuration as TOML, for `nameindexd --check-config`: every key with the
    /// value in effect, defaults included; a key whose value is "none" is shown as a comment.
    ///
    /// Paths are shown resolved; each source notes the file it came from.
    public func renderedTOML() -> String {
        var lines: [String] = []
        lines.append("# Effective configuration, read from:")
        for file in files { lines.append("#   \(file)") }
        lines.append("")
        lines.append("[daemon]")
        lines.append("runtime_directory = \(TOMLText.string(daemon.runtimeDirectory))")
        lines.append("state_directory = \(TOMLText.string(daemon.stateDirectory))")
        lines.append("refresh_on_start = \(daemon.refreshOnStart)")
        lines.append("max_parallel_fetches = \(daemon.maxParallelFetches)")
        lines.append("max_parallel_commands = \(daemon.maxParallelCommands)")
        lines.append("max_connections = \(daemon.maxConnections)")
        lines.append("control_max_connections = \(daemon.controlMaxConnections)")
        lines.append("request_timeout = \(TOMLText.timeSpan(daemon.requestTimeout))")
        lines.append("lookup_idle_timeout = \(TOMLText.timeSpan(daemon.lookupIdleTimeout))")
        lines.append("lookup_threads = \(daemon.lookupThreads)")
        lines.append(optional("control_group", daemon.controlGroup.map(TOMLText.string)))
        lines.append(optional("reload_interval", daemon.reloadInterval.map(TOMLText.timeSpan)))
        lines.append("reload_jitter = \(TOMLText.timeSpan(daemon.reloadJitter))")
        lines.append("snapshot_interval = \(TOMLText.timeSpan(daemon.snapshotInterval))")
        lines.append(optional("metrics_textfile", daemon.metricsTextfile.map(TOMLText.string)))
        lines.append("metrics_interval = \(TOMLText.timeSpan(daemon.metricsInterval))")
        lines.append(optional("metrics_listen", daemon.metricsListenAddress.map { TOMLText.string($0.text) }))
        lines.append("miss_sample = \(daemon.missSample)")
        lines.append("skipped_sample = \(daemon.skippedSample)")
        for source in sources {
            lines.append("")
            lines.append("# from \(source.origin)")
            lines.append("[[source]]")
            lines.append("name = \(TOMLText.string(source.name))")
            lines.append("namespace = \(TOMLText.string(source.namespace))")
            lines.append("kind = \(TOMLText.string(source.kind))")
            lines.append("min_rows = \(source.guards.minRows)")
            lines.append(optional("max_shrink", source.guards.maxShrink.map { TOMLText.string(percent($0)) }))
            lines.append("on_failure = \(TOMLText.string(source.guards.onFailure.rawValue))")
            lines.append("timeout = \(TOMLText.timeSpan(source.fetch.timeout))")
            lines.append("stall_timeout = \(TOMLText.timeSpan(source.fetch.stallTimeout))")
            lines.append("retries = \(source.fetch.retries)")
            lines.append("retry_delay = \(TOMLText.timeSpan(source.fetch.retryDelay))")
            lines.append(optional("reload_interval", source.reloadInterval.map(TOMLText.timeSpan)))
            lines.append("reload_jitter = \(TOMLText.timeSpan(source.reloadJitter))")
            lines.append(optional("check_interval", source.checkInterval.map(TOMLText.timeSpan)))
            lines.append("partitions = \(source.fetch.partitions)")
            lines.append("parallelism = \(source.fetch.parallelism)")
            if let delta = source.delta {
                lines.append(optional("delta_interval", delta.interval.map(TOMLText.timeSpan)))
                lines.append("delta_jitter = \(TOMLText.timeSpan(delta.jitter))")
                switch delta.lag {
                case .units(let n): lines.append("delta_lag = \(n)")
                case .seconds(let n): lines.append("delta_lag = \(TOMLText.timeSpan(.seconds(n)))")
                }
                lines.append("compact_above = \(TOMLText.string(percent(delta.compactAbove)))")
            }
            lines += source.settings.value.renderedLines
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `key = value`, or a comment saying the key has no value.
    private func optional(_ key: String, _ value: String?) -> String {
        value.map { "\(key) = \($0)" } ?? "# \(key): none"
    }

    private func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        return value.rounded() == value ? "\(Int(value))%" : "\(value)%"
    }
}
