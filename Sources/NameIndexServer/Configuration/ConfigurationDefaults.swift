/// Every default of the configuration, in one place. The loader starts from these and each
/// file overrides what it sets, so the ``Configuration`` it returns holds effective values only.
public struct ConfigurationDefaults: Sendable, Equatable {
    /// The cores this machine has: the parallel defaults scale with it.
    public var coreCount: Int
    /// Where sockets and snapshots go when the configuration does not say (systemd's
    /// `RUNTIME_DIRECTORY` and `STATE_DIRECTORY`, or the user's own directories).
    public var runtimeDirectory: String
    public var stateDirectory: String

    public init(coreCount: Int, runtimeDirectory: String, stateDirectory: String) {
        self.coreCount = max(1, coreCount)
        self.runtimeDirectory = runtimeDirectory
        self.stateDirectory = stateDirectory
    }

    /// The `[daemon]` table of a configuration that sets none of its keys.
    public var daemon: Configuration.Daemon {
        Configuration.Daemon(
            runtimeDirectory: runtimeDirectory, stateDirectory: stateDirectory, refreshOnStart: true,
            maxParallelFetches: 2 * coreCount, maxParallelCommands: Self.maxParallelCommands, controlGroup: nil, reloadInterval: nil, reloadJitter: .zero,
            maxConnections: 10_000,
            // Lookup clients are on this host (a Unix socket): leave them half the cores.
            lookupThreads: max(1, coreCount / 2),
            controlMaxConnections: 1024, requestTimeout: .seconds(10), lookupIdleTimeout: .zero)
    }

    /// `max_parallel_commands`: commands mostly wait for the warehouse, so not the cores.
    public static let maxParallelCommands = 16

    // Source keys; they do not depend on the machine.
    public static let timeout: Duration = .seconds(600)
    public static let stallTimeout: Duration = .seconds(300)
    public static let retries = 2
    public static let retryDelay: Duration = .seconds(1)
    public static let partitions = 1
    public static let minRows = 0
    public static let onFailure = Configuration.Guards.OnFailure.keep
    /// `compact_above`: 5% of the base's rows.
    public static let compactAbove = 0.05
    /// `snapshot_interval`.
    public static let snapshotInterval: Duration = .seconds(60)
    /// `miss_sample`, and its largest value.
    public static let missSample = 100
    public static let maximumMissSample = 10_000
    /// `skipped_sample`, and its largest value.
    public static let skippedSample = 20
    public static let maximumSkippedSample = 100
    /// `metrics_interval`.
    public static let metricsInterval: Duration = .seconds(15)
}
