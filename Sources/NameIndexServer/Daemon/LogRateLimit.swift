import Synchronization

/// Lets one kind of message through at most once per interval, counting the rest, so that
/// a flood of bad connections cannot flood the journal (journald's own rate limit would
/// then drop the daemon's other messages too).
final class LogRateLimit: Sendable {
    private let interval: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

    init(interval: Duration = .seconds(10)) { self.interval = interval }

    /// Calls `log` with the number of messages suppressed since the last one, or counts this
    /// one as suppressed.
    func log(_ log: (_ suppressed: Int) -> Void) {
        let now = ContinuousClock.now
        let suppressed: Int? = state.withLock { state in
            if let last = state.last, now - last < interval {
                state.suppressed += 1
                return nil
            }
            defer { state = (now, 0) }
            return state.suppressed
        }
        if let suppressed { log(suppressed) }
    }
}
