import NameIndexProtocol
import Synchronization

/// How many control connections are open, in all and per user, against the limits.
///
/// Root and the daemon's own user (namectl run by the operator, the watchdog probe) are
/// counted but never refused: a local user who opens connections until a limit is reached
/// can then lock out only other unprivileged users, never the daemon's own health check.
/// Everyone else is refused past `maximum` connections in all, or past a quarter of it
/// from one uid (sd-varlink's default ratio), so one user cannot take them all.
final class ControlConnectionLimits: Sendable {
    let maximum: Int
    let maximumPerUID: Int
    private let privileged: Set<UInt32>
    private let state = Mutex<(total: Int, perUID: [UInt32: Int])>((0, [:]))
    /// Connections open now, and refused (shared with the metrics).
    let meter: ConnectionMeter

    init(maximum: Int, privileged: Set<UInt32>, meter: ConnectionMeter = ConnectionMeter()) {
        self.meter = meter
        self.maximum = maximum
        self.maximumPerUID = max(1, maximum / 4)
        self.privileged = privileged
    }

    /// Takes a slot for `uid` (nil: credentials unknown, counted as an unprivileged user of
    /// its own); the limit it would pass if refused.
    func open(uid: UInt32?) -> IndexInterface.Failure? {
        let key = uid ?? UInt32.max
        return state.withLock { state in
            if uid.map({ !privileged.contains($0) }) ?? true {
                if state.total >= maximum {
                    meter.refused.add(1, ordering: .relaxed)
                    return .limitExceeded(limit: "control_connections", maximum: maximum)
                }
                if state.perUID[key, default: 0] >= maximumPerUID {
                    meter.refused.add(1, ordering: .relaxed)
                    return .limitExceeded(limit: "control_connections_per_uid", maximum: maximumPerUID)
                }
            }
            meter.open.add(1, ordering: .relaxed)
            state.total += 1
            state.perUID[key, default: 0] += 1
            return nil
        }
    }

    func close(uid: UInt32?) {
        let key = uid ?? UInt32.max
        meter.open.subtract(1, ordering: .relaxed)
        state.withLock { state in
            state.total -= 1
            let left = state.perUID[key, default: 1] - 1
            state.perUID[key] = left > 0 ? left : nil
        }
    }

    var openCount: Int { state.withLock { $0.total } }
}
