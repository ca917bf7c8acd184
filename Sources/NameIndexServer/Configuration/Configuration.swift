import NameIndexCore
import NameIndexSources

/// The daemon's effective configuration: the main file plus its drop-ins, with every default
/// applied (``ConfigurationDefaults``).
///
/// Built by ``ConfigurationLoader``; everything here has already been validated, and relative
/// paths have been resolved against the directory of the file that named them.
public struct Configuration: Sendable, Equatable {
    /// The `[daemon]` table.
    public struct Daemon: Sendable, Equatable {
        /// Where the sockets go (`runtime_directory`).
        public var runtimeDirectory: String
        /// Where snapshots go (`state_directory`).
        public var stateDirectory: String
        /// Whether a daemon that starts from a snapshot fetches the sources at once (`refresh_on_start`).
        public var refreshOnStart: Bool
        /// At most this many fetches run at once (`max_parallel_fetches`).
        public var maxParallelFetches: Int
        /// At most this many fetches of `command` sources run at once (`max_parallel_commands`),
        /// apart from `max_parallel_fetches`: their work runs on the warehouse.
        public var maxParallelCommands: Int
        /// Members of this group may reload (`control_group`), besides root and the daemon's user; nil: none.
        public var controlGroup: String?
        /// `reload_interval` and `reload_jitter`: every source's timer unless it sets its own;
        /// a nil interval: no timer.
        public var reloadInterval: Duration?
        public var reloadJitter: Duration
        /// At most this many lookup connections at once (`max_connections`).
        public var maxConnections: Int
        /// Event loop threads serving the lookup socket (`lookup_threads`).
        public var lookupThreads: Int
        /// At most this many control connections at once from users other than root and the
        /// daemon's own (`control_max_connections`), and a quarter of it from any one user.
        public var controlMaxConnections: Int
        /// A request begun on either socket must be complete within this (`request_timeout`),
        /// or its connection is closed.
        public var requestTimeout: Duration
        /// A lookup connection with nothing sent for this long is closed (`lookup_idle_timeout`);
        /// zero: never (Redis's `timeout 0`).
        public var lookupIdleTimeout: Duration
        /// After a delta, the snapshot is rewritten at most once per this (`snapshot_interval`),
        /// so that deltas every second do not rewrite the whole index every second; zero: after
        /// every delta. A full reload always rewrites it.
        public var snapshotInterval: Duration = ConfigurationDefaults.snapshotInterval
        /// Where the metrics are written for node_exporter's textfile collector
        /// (`metrics_textfile`), rewritten atomically every `metrics_interval`; nil: nowhere.
        public var metricsTextfile: String?
        public var metricsInterval: Duration = ConfigurationDefaults.metricsInterval
        /// Places in each namespace's sample of the most missed keys (`miss_sample`); 0: none.
        public var missSample = ConfigurationDefaults.missSample
        /// Skipped rows kept per source from its last load (`skipped_sample`); 0: none.
        public var skippedSample = ConfigurationDefaults.skippedSample
        /// Where the HTTP listener for Prometheus binds (`metrics_listen`); nil: no listener.
        var metricsListenAddress: ListenAddress?

        /// A host and a port.
        struct ListenAddress: Sendable, Equatable {
            var host: String
            var port: Int

            /// `host:port`, `[v6]:port`; nil when it is not one.
            init?(_ text: String) {
                guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
                else { return nil }
                var host = String(text[..<colon])
                if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
                guard !host.isEmpty, !host.contains(" "), host.contains(":") == text.hasPrefix("[") else { return nil }
                self.host = host
                self.port = port
            }

            init(host: String, port: Int) {
                self.host = host
                self.port = port
            }

            var text: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        }
    }

    /// Checks a source's fresh rows must pass before they replace its previous ones.
    public struct Guards: Sendable, Equatable {
        /// What a failed source does to the reload (`on_failure`).
        public enum OnFailure: String, Sendable, CaseIterable {
            /// Keep the source's previous rows (stale); the other sources load.
            case keep
            /// Fail the whole reload; the previous generation keeps serving.
            case fail
        }

        /// `min_rows`: fewer rows than this fails the source.
        public var minRows: Int
        /// `max_shrink`: a fraction (0.2 for "20%"); more rows lost than this, against the
        /// previous generation, fails the source. nil: no limit.
        public var maxShrink: Double?
        public var onFailure: OnFailure

        public init(
            minRows: Int = ConfigurationDefaults.minRows, maxShrink: Double? = nil,
            onFailure: OnFailure = ConfigurationDefaults.onFailure
        ) {
            self.minRows = minRows
            self.maxShrink = maxShrink
            self.onFailure = onFailure
        }
    }

    /// How a source with a delta query (`delta_query`, `delta_command`) is kept up to date
    /// between full reloads.
    public struct Delta: Sendable, Equatable {
        /// `delta_interval` and `delta_jitter`: deltas on a timer; a nil interval: only on request.
        public var interval: Duration?
        public var jitter: Duration
        /// `delta_lag`: how far back from the watermark each delta starts.
        public var lag: Watermark.Lag
        /// `compact_above`: a fraction (0.05 for "5%") of the base's rows; an overlay larger
        /// than this is compacted into a new base.
        public var compactAbove: Double

        public init(
            interval: Duration? = nil, jitter: Duration? = nil, lag: Watermark.Lag = .units(0),
            compactAbove: Double = ConfigurationDefaults.compactAbove
        ) {
            self.interval = interval
            self.jitter = jitter ?? interval.map { $0 / 10 } ?? .zero
            self.lag = lag
            self.compactAbove = compactAbove
        }
    }

    /// One `[[source]]` table.
    public struct Source: Sendable, Equatable {
        public var name: String
        public var namespace: String
        /// The keys of its kind.
        public var settings: SourceSettings
        public var guards: Guards
        public var fetch: FetchPolicy
        /// `reload_interval` and `reload_jitter` in effect: its own, else the daemon's; a nil
        /// interval: no timer.
        public var reloadInterval: Duration?
        public var reloadJitter: Duration
        /// `check_interval`: how often its change check runs; nil: never. What the check reads
        /// is its kind's (`check_query`, `check_command`, a file's inode, size and time).
        public var checkInterval: Duration?
        /// Its deltas, when its kind has a delta query; nil: full reloads only.
        public var delta: Delta?
        /// The file that defined it.
        public var origin: String
        /// The timer keys the source's own table set, so a later drop-in's `[daemon]` timer still
        /// reaches the sources that set none.
        var ownTimer = OwnTimer()

        public init(
            name: String, namespace: String, settings: some SourceKind, guards: Guards = Guards(),
            fetch: FetchPolicy = FetchPolicy(), origin: String
        ) {
            self.name = name
            self.namespace = namespace
            self.settings = SourceSettings(settings)
            self.guards = guards
            self.fetch = fetch
            self.reloadJitter = .zero
            self.origin = origin
        }

        /// The value of `kind`.
        public var kind: String { settings.kind }
    }

    /// What every default was when loading began.
    public var defaults: ConfigurationDefaults
    public var daemon: Daemon
    /// Sources in priority order: the main file's first, then each drop-in's in name order.
    public var sources: [Source]
    /// The files that were read, in the order they were read.
    public var files: [String]

    public init(defaults: ConfigurationDefaults, sources: [Source] = [], files: [String] = []) {
        self.defaults = defaults
        self.daemon = defaults.daemon
        self.sources = sources
        self.files = files
    }

    /// Gives every source the daemon's timer where it sets none of its own.
    mutating func resolveSourceTimers() {
        for i in sources.indices {
            sources[i].reloadInterval = sources[i].ownTimer.interval ?? daemon.reloadInterval
            sources[i].reloadJitter = sources[i].ownTimer.jitter ?? daemon.reloadJitter
        }
    }

    /// How a source's timer keys were written, not what they are: two sources with the same
    /// effective timer are equal whether they inherit it or spell it out.
    struct OwnTimer: Sendable, Equatable {
        var interval: Duration?
        var jitter: Duration?

        static func == (_: OwnTimer, _: OwnTimer) -> Bool { true }
    }
}
