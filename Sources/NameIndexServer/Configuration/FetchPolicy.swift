/// How one source is fetched: its deadline, stall detector and retries (the reload side's
/// ``FetchRunner`` carries them out).
public struct FetchPolicy: Sendable, Equatable {
    /// `timeout`: an attempt that takes longer fails.
    public var timeout: Duration
    /// `stall_timeout`: an attempt that delivers no rows for this long fails.
    public var stallTimeout: Duration
    /// `retries`: failed attempts tried again, after `retry_delay`
    /// doubling each time (capped at 5 min), with jitter.
    public var retries: Int
    public var retryDelay: Duration
    /// `partitions`: fetches of the source that together return every row.
    public var partitions: Int
    /// `parallelism`: at most this many of the source's partitions run at once (within
    /// `max_parallel_fetches`); by default all of them.
    public var parallelism: Int

    /// The defaults are ``ConfigurationDefaults``'; `parallelism` nil: all partitions.
    public init(
        timeout: Duration = ConfigurationDefaults.timeout, stallTimeout: Duration = ConfigurationDefaults.stallTimeout,
        retries: Int = ConfigurationDefaults.retries, retryDelay: Duration = ConfigurationDefaults.retryDelay,
        partitions: Int = ConfigurationDefaults.partitions, parallelism: Int? = nil
    ) {
        self.timeout = timeout
        self.stallTimeout = stallTimeout
        self.retries = retries
        self.retryDelay = retryDelay
        self.partitions = partitions
        self.parallelism = parallelism ?? partitions
    }
}
