import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Sends service state to the service manager (`sd_notify(3)`).
///
/// Without `$NOTIFY_SOCKET` (run by hand, not by systemd) every call does
/// nothing. Always send from the main process: with `NotifyAccess=main`
/// systemd ignores anyone else.
public struct Notifier: Sendable {
    /// One `KEY=value` assignment of the notification protocol.
    public enum State: Sendable, Equatable {
        case ready
        case reloading(monotonicMicroseconds: UInt64)
        case stopping
        case status(String)
        case watchdog
        case extendTimeout(microseconds: UInt64)

        var assignment: String {
            switch self {
            case .ready: "READY=1"
            case .reloading(let usec): "RELOADING=1\nMONOTONIC_USEC=\(usec)"
            case .stopping: "STOPPING=1"
            case .status(let text): "STATUS=\(text.replacingNewlines())"
            case .watchdog: "WATCHDOG=1"
            case .extendTimeout(let usec): "EXTEND_TIMEOUT_USEC=\(usec)"
            }
        }
    }

    public init() {}

    /// Whether a service manager listens (`$NOTIFY_SOCKET` is set).
    public var isEnabled: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends `states` in one datagram.
    ///
    /// - Returns: false when no manager listens or the message could not be sent.
    @discardableResult
    public func notify(_ states: State...) -> Bool {
        notify(states)
    }

    /// Sends `states` in one datagram.
    @discardableResult
    public func notify(_ states: [State]) -> Bool {
        let message = states.map(\.assignment).joined(separator: "\n")
        return sd_notify(0, message) > 0
    }

    /// The current value of `CLOCK_MONOTONIC` in microseconds, for `RELOADING=1`.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// The watchdog interval systemd expects pings within, if the watchdog is on for this process.
    public static func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}
