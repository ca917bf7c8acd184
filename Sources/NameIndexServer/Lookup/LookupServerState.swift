#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NameIndexCore
import NameIndexProtocol
import Synchronization

/// What the lookup server knows about itself, for `INFO`, `HELLO` and `CLIENT ID`.
final class LookupServerState: Sendable {
    enum Timeout { case request, idle }

    let counters: LookupCounters
    let startedAt = ContinuousClock.now
    let maximumConnections: Int
    /// Connections open now, and refused (shared with the metrics).
    let meter: ConnectionMeter
    private let nextID = Atomic<Int>(1)
    private let requestTimeouts = Atomic<Int>(0)
    private let idleTimeouts = Atomic<Int>(0)
    private let logger: Logger?
    private let timeoutLog = LogRateLimit()

    init(counters: LookupCounters, maximumConnections: Int, logger: Logger? = nil, meter: ConnectionMeter = ConnectionMeter()) {
        self.counters = counters
        self.meter = meter
        self.maximumConnections = maximumConnections
        self.logger = logger
    }

    /// Counts a connection closed for a timeout, and says so (at most every 10 s).
    func noteTimeout(_ kind: Timeout) {
        switch kind {
        case .request: requestTimeouts.add(1, ordering: .relaxed)
        case .idle: idleTimeouts.add(1, ordering: .relaxed)
        }
        guard let logger else { return }
        timeoutLog.log { suppressed in
            let what = kind == .request ? "a request begun was not completed within request_timeout" : "idle for lookup_idle_timeout"
            logger.notice("Closing a lookup connection: \(what)\(suppressed > 0 ? " (and \(suppressed) more since the last message)" : "").")
        }
    }

    /// Connections closed for a half-sent request, and for being idle.
    var timeouts: (request: Int, idle: Int) {
        (requestTimeouts.load(ordering: .relaxed), idleTimeouts.load(ordering: .relaxed))
    }

    /// Takes a connection slot; false when `maximumConnections` are open.
    func open() -> Bool {
        let now = meter.open.add(1, ordering: .relaxed).newValue
        if now > maximumConnections {
            meter.open.subtract(1, ordering: .relaxed)
            meter.refused.add(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func close() { meter.open.subtract(1, ordering: .relaxed) }

    var connectionCount: Int { meter.openCount }

    func newClientID() -> Int { nextID.add(1, ordering: .relaxed).oldValue }
}
