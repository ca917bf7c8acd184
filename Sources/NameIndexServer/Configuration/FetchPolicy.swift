/// How one source is fetched: its deadline, stall detector and retries (the reload side's
/// ``FetchRunner`` carries them out).
public struct FetchPolicy: Sendable, Equatable {
    /// `timeout`: an attempt that takes longer fails (default 10 min).
    public var timeout: Duration
    /// `stall_timeout`: an attempt that delivers no rows for this long fails (default 5 min).
    public var stallTimeout: Duration
    /// `retries`: failed attempts tried again (default 2), after `retry_delay`
    /// doubling each time (capped at 5 min), with jitter.
    public var retries: Int
    public var retryDelay: Duration
    /// `partitions`: fetches of the source that together return every row (default 1).
    public var partitions: Int
    /// `parallelism`: at most this many of the source's partitions run at once; nil: all of them
    /// (within `max_parallel_fetches`).
    public var parallelism: Int?

    public init(
        timeout: Duration = .seconds(600), stallTimeout: Duration = .seconds(300), retries: Int = 2,
        retryDelay: Duration = .seconds(1), partitions: Int = 1, parallelism: Int? = nil
    ) {
        self.timeout = timeout
        self.stallTimeout = stallTimeout
        self.retries = retries
        self.retryDelay = retryDelay
        self.partitions = partitions
        self.parallelism = parallelism
    }
}
