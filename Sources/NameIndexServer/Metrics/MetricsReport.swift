import NameIndexCore
import NameIndexProtocol
import Prometheus

/// The Prometheus text exposition of the daemon: the state read from `Status` at the moment
/// of the scrape (a fresh registry each time), then the counters and histograms that
/// ``MetricEvents`` accumulated. Names follow Prometheus's rules: the prefix `nameindex_`,
/// base units (`_seconds`, `_bytes`), `_total` on counters; no key is ever a label.
struct MetricsReport {
    let status: IndexInterface.StatusReply
    /// Lookups and hits per namespace, since the start.
    let counts: [String: LookupCounters.Counts]
    /// Bytes per namespace of the serving generation.
    let namespaceBytes: [String: Int]
    /// Estimated distinct keys missed per namespace since the last full reload.
    var missedKeys: [String: Int] = [:]
    let events: MetricEvents
    /// Now, in microseconds since the epoch.
    let now: UInt64

    /// The text for the daemon as it is now.
    static func render(store: Store, coordinator: ReloadCoordinator, counters: LookupCounters, events: MetricEvents) async -> String {
        let status = await coordinator.status(index: store.current, version: ProductInfo.version)
        let missedKeys = await counters.missedKeys()
        return MetricsReport(
            status: status, counts: counters.snapshot(), namespaceBytes: namespaceBytes(store.current),
            missedKeys: missedKeys, events: events, now: WallClock.system.now()
        ).text
    }

    static func namespaceBytes(_ index: Index?) -> [String: Int] {
        var bytes: [String: Int] = [:]
        for source in index?.sources ?? [] { bytes[source.namespace, default: 0] += source.layer.memoryBytes }
        return bytes
    }

    var text: String {
        let r = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ labels: [(String, String)] = [], _ help: String, _ value: Double) {
            r.makeGauge(name: name, labels: labels, help: help).set(to: value)
        }
        func seconds(_ microseconds: UInt64) -> Double { Double(microseconds) / 1e6 }
        gauge("nameindex_build_info", [("version", status.version)], "The daemon's version (the value is always 1).", 1)
        gauge("nameindex_generation", [], "The serving generation; 0 before the first.", Double(status.generation))
        if let loaded = status.loadedAtUSec {
            gauge("nameindex_generation_timestamp_seconds", [], "When the serving generation's data was loaded.", seconds(loaded))
        }
        gauge("nameindex_entries", [], "Distinct keys served, over all namespaces.", Double(status.entries))
        gauge("nameindex_index_bytes", [], "Memory of the serving generation's tables.", Double(status.indexBytes))
        for namespace in status.namespaces {
            let labels = [("namespace", namespace.name)]
            gauge("nameindex_namespace_entries", labels, "Distinct keys a namespace serves.", Double(namespace.entries))
            gauge("nameindex_namespace_bytes", labels, "Memory of the tables that feed a namespace.", Double(namespaceBytes[namespace.name] ?? 0))
        }
        for (namespace, c) in counts.sorted(by: { $0.key < $1.key }) {
            for (result, value) in [("hit", c.hits), ("miss", c.misses)] {
                r.makeCounter(
                    name: "nameindex_lookups_total", labels: [("namespace", namespace), ("result", result)],
                    help: "Keys looked up on the lookup socket, found (hit) or not (miss)."
                ).increment(by: Int64(value))
            }
        }
        for (namespace, keys) in missedKeys.sorted(by: { $0.key < $1.key }) {
            gauge(
                "nameindex_missed_keys", [("namespace", namespace)],
                "Distinct keys looked up on the lookup socket and not found since the last full reload (estimated, about 1.6 %).",
                Double(keys))
        }
        var progressRows = 0
        var previousRows = 0
        for source in status.sources {
            let labels = [("source", source.name), ("namespace", source.namespace), ("kind", source.kind)]
            let named = [("source", source.name)]
            gauge("nameindex_source_rows", labels, "Keys a source holds in the serving generation.", Double(source.rows))
            gauge("nameindex_source_bytes", named, "Memory of a source's tables.", Double(source.bytes ?? 0))
            gauge("nameindex_source_shadowed", named, "Keys of a source hidden by a source listed earlier for its namespace.", Double(source.shadowed))
            if let at = source.lastSuccessUSec {
                gauge("nameindex_source_last_success_timestamp_seconds", named, "When a source last loaded.", seconds(at))
            }
            for state in Self.states {
                gauge(
                    "nameindex_source_state", named + [("state", state.rawValue)],
                    "A source's state: 1 for the one it is in, 0 for the others.", source.state == state ? 1 : 0)
            }
            if let delta = source.delta {
                gauge("nameindex_source_overlay_rows", named, "Entries of a source's delta overlay.", Double(delta.overlayRows))
                gauge("nameindex_source_overlay_bytes", named, "Memory of a source's delta overlay.", Double(delta.overlayBytes))
                if let at = delta.lastUSec, delta.lastError == nil {
                    gauge("nameindex_source_last_delta_timestamp_seconds", named, "When a source's last delta ended well.", seconds(at))
                }
            }
            if source.state.isFetching, let fetch = source.fetch {
                progressRows += fetch.rows
                previousRows += source.rows
            }
        }
        let reloading = status.state == .reloading || status.state == .loading
        gauge("nameindex_reload_in_progress", [], "1 while a full load runs.", reloading ? 1 : 0)
        gauge(
            "nameindex_reload_progress_ratio", [],
            "Rows the running load has read, over the rows its sources held before (0 when none runs or nothing is known).",
            reloading && previousRows > 0 ? Double(progressRows) / Double(previousRows) : 0)
        if let snapshot = status.snapshot {
            gauge("nameindex_snapshot_age_seconds", [], "Age of the snapshot's data.", seconds(now > snapshot.createdAtUSec ? now - snapshot.createdAtUSec : 0))
            gauge("nameindex_snapshot_bytes", [], "Size of the snapshot file.", Double(snapshot.bytes))
        }
        gauge("nameindex_lookup_connections", [], "Lookup-socket connections open.", Double(events.lookupConnections.openCount))
        gauge("nameindex_control_connections", [], "Control-socket connections open.", Double(events.controlConnections.openCount))
        r.makeCounter(name: "nameindex_lookup_connections_refused_total", help: "Lookup-socket connections refused (max_connections).")
            .increment(by: Int64(events.lookupConnections.refusedCount))
        r.makeCounter(name: "nameindex_control_connections_refused_total", help: "Control-socket connections refused (control_max_connections).")
            .increment(by: Int64(events.controlConnections.refusedCount))
        return r.emitToString() + events.registry.emitToString()
    }

    static let states: [IndexInterface.SourceState] = [
        .pending, .loading, .loaded, .stale, .failed, .loadedAndReloading, .failedAndReloading,
    ]
}
