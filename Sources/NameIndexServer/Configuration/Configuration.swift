import NameIndexSources

/// The daemon's effective configuration: the main file plus its drop-ins.
///
/// Built by ``ConfigurationLoader``; everything here has already been
/// validated, and relative paths have been resolved against the directory of
/// the file that named them.
public struct Configuration: Sendable, Equatable {
    /// The `[daemon]` table.
    public struct Daemon: Sendable, Equatable {
        /// Where the sockets go (`runtime_directory`); nil means the default for this user.
        public var runtimeDirectory: String?
        /// Where snapshots go (`state_directory`); nil means the default for this user.
        public var stateDirectory: String?
        /// Whether a daemon that starts from a snapshot fetches the sources at once
        /// (`refresh_on_start`, default true).
        public var refreshOnStart: Bool?
        /// At most this many fetches run at once (`max_parallel_fetches`); nil: twice the cores.
        public var maxParallelFetches: Int?
        /// Members of this group may reload (`control_group`), besides root and the daemon's user.
        public var controlGroup: String?
        /// `reload_interval` and `reload_jitter`: every source's timer unless it sets its own.
        public var reloadInterval: Duration?
        public var reloadJitter: Duration?
        /// At most this many lookup connections at once (`max_connections`); nil: 10,000.
        public var maxConnections: Int?
        /// Event loop threads serving the lookup socket (`lookup_threads`); nil: half the cores, at least one.
        public var lookupThreads: Int?
        /// At most this many control connections at once from users other than root and the
        /// daemon's own (`control_max_connections`), and a quarter of it from any one user.
        public var controlMaxConnections = 1024
        /// A request begun on either socket must be complete within this (`request_timeout`),
        /// or its connection is closed.
        public var requestTimeout: Duration = .seconds(10)
        /// A lookup connection with nothing sent for this long is closed (`lookup_idle_timeout`);
        /// zero: never (Redis's `timeout 0`).
        public var lookupIdleTimeout: Duration = .zero

        public init(
            runtimeDirectory: String? = nil, stateDirectory: String? = nil, refreshOnStart: Bool? = nil,
            maxParallelFetches: Int? = nil, controlGroup: String? = nil
        ) {
            self.controlGroup = controlGroup
            self.runtimeDirectory = runtimeDirectory
            self.stateDirectory = stateDirectory
            self.refreshOnStart = refreshOnStart
            self.maxParallelFetches = maxParallelFetches
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

        /// `min_rows`: fewer rows than this fails the source (default 0).
        public var minRows: Int
        /// `max_shrink`: a fraction (0.2 for "20%"); more rows lost than this, against the
        /// previous generation, fails the source. nil: no limit.
        public var maxShrink: Double?
        public var onFailure: OnFailure

        public init(minRows: Int = 0, maxShrink: Double? = nil, onFailure: OnFailure = .keep) {
            self.minRows = minRows
            self.maxShrink = maxShrink
            self.onFailure = onFailure
        }
    }

    /// One `[[source]]` table.
    public struct Source: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var settings: Settings
        public var guards: Guards
        public var fetch: FetchPolicy
        /// `reload_interval` and `reload_jitter` of this source; nil: the daemon's.
        public var reloadInterval: Duration?
        public var reloadJitter: Duration?
        /// The change check: `check_interval`, with `check_query` or `check_command`.
        public var check: Check?
        /// The file that defined it.
        public var origin: String

        public init(
            name: String, namespace: String, settings: Settings, guards: Guards = Guards(), fetch: FetchPolicy = FetchPolicy(),
            origin: String
        ) {
            self.name = name
            self.namespace = namespace
            self.settings = settings
            self.guards = guards
            self.fetch = fetch
            self.origin = origin
        }

        public var kind: Kind { settings.kind }
    }

    /// A source's change check: every `interval`, a value is read (the first value of `query`,
    /// the output of `command`, or for a file its inode, size and modification time); the source
    /// is reloaded when it differs from the value read before its last load.
    public struct Check: Sendable, Equatable {
        public var interval: Duration
        public var query: String?
        public var command: [String]?

        public init(interval: Duration, query: String? = nil, command: [String]? = nil) {
            self.interval = interval
            self.query = query
            self.command = command
        }
    }

    /// The source kinds this daemon knows.
    public enum Kind: String, Sendable, CaseIterable {
        case file
        case postgresql
        case sqlite
        case command
    }

    /// The keys of one kind.
    public enum Settings: Sendable, Equatable {
        case file(File)
        case postgresql(PostgreSQL)
        case sqlite(SQLite)
        case command(Command)

        public var kind: Kind {
            switch self {
            case .file: .file
            case .postgresql: .postgresql
            case .sqlite: .sqlite
            case .command: .command
            }
        }
    }

    /// Keys of `kind = "command"`.
    public struct Command: Sendable, Equatable {
        /// `command`: the program and its arguments, run without a shell.
        public var arguments: [String]
        public var rows: RowFormat
        /// Where it runs: the directory of the configuration file that defines it,
        /// so relative paths in its arguments mean what they mean for `file` sources.
        public var workingDirectory: String

        public init(arguments: [String], rows: RowFormat = RowFormat(), workingDirectory: String) {
            self.arguments = arguments
            self.rows = rows
            self.workingDirectory = workingDirectory
        }
    }

    /// Keys of `kind = "sqlite"`.
    public struct SQLite: Sendable, Equatable {
        /// Absolute path of the database file.
        public var path: String
        /// The query; its first two columns are the key and the name.
        public var query: String
        /// `partition_by` and `partition_key`, when the query has `{partition_filter}`.
        public var filter: PartitionFilter?

        public init(path: String, query: String, filter: PartitionFilter? = nil) {
            self.path = path
            self.query = query
            self.filter = filter
        }
    }

    /// Where a secret comes from; the configuration never holds the secret itself.
    public enum Secret: Sendable, Equatable {
        /// `password_file`: an absolute path.
        case file(String)
        /// `password_credential`: a systemd credential's name, read from `$CREDENTIALS_DIRECTORY/<name>`.
        case credential(String)
    }

    /// Keys of `kind = "postgresql"`.
    public struct PostgreSQL: Sendable, Equatable {
        /// `url`, parsed.
        public var location: PostgresLocation
        /// The query; its first two columns are the key and the name.
        public var query: String
        /// `partition_by` and `partition_key`, when the query has `{partition_filter}`.
        public var filter: PartitionFilter?
        /// `password_file` or `password_credential`; nil: no password.
        public var password: Secret?

        public init(location: PostgresLocation, query: String, filter: PartitionFilter? = nil, password: Secret? = nil) {
            self.location = location
            self.query = query
            self.filter = filter
            self.password = password
        }
    }

    /// Keys of `kind = "file"`: the options of a ``FileSource``.
    public typealias File = FileOptions

    public var daemon: Daemon
    /// Sources in priority order: the main file's first, then each drop-in's in name order.
    public var sources: [Source]
    /// The files that were read, in the order they were read.
    public var files: [String]

    public init(daemon: Daemon = Daemon(), sources: [Source] = [], files: [String] = []) {
        self.daemon = daemon
        self.sources = sources
        self.files = files
    }
}
