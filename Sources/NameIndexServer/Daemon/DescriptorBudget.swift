#if canImport(Glibc)
import Glibc
#endif

/// The daemon's file descriptors, shared between client connections and its own work.
///
/// At start the soft `RLIMIT_NOFILE` is raised to the hard limit, as systemd recommends for
/// daemons that need many descriptors (its default soft limit, 1024, is kept low only for
/// programs that still use `select()`). A reserve is kept for the daemon's own work:
/// fetches (pipes, database sockets, files), the snapshot, the watchdog probe, the journal.
/// Client connections get what is left, so when descriptors run out it is a new client
/// that is refused (by the connection limits), never a fetch or the snapshot.
enum DescriptorBudget {
    /// Raises the soft limit to the hard one; returns the soft limit in force after.
    @discardableResult
    static func raiseSoftLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int32.max) ? Int(Int32.max) : Int(limit.rlim_cur)
    }

    /// Descriptors kept for the daemon's own work: a fixed part and, per fetch that may run
    /// at once, a pipe pair or two and a socket.
    static func reserved(parallelFetches: Int) -> Int { 128 + 8 * parallelFetches }

    /// How many lookup connections fit beside the control connections and the reserve.
    static func lookupConnections(wanted: Int, control: Int, parallelFetches: Int, limit: Int) -> Int {
        max(1, min(wanted, limit - reserved(parallelFetches: parallelFetches) - control))
    }
}
