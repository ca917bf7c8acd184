extension FetchPolicy {
    /// The pause before attempt `attempt + 1` (attempt counts from 1): `retryDelay × 2^(attempt-1)`,
    /// capped at 5 min, scaled by a `jitter` from 0.5 to 1 so that sources and hosts spread out.
    func backoff(after attempt: Int, jitter: Double) -> Duration {
        let base = Double(retryDelay.microseconds) * Double(1 << min(attempt - 1, 20))
        let capped = min(base, 300_000_000)
        return .microseconds(Int64(capped * min(1, max(0.5, jitter))))
    }
}
