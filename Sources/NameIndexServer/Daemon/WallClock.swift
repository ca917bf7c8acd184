import Foundation

/// The time of day, injected so that tests can fix it.
public struct WallClock: Sendable {
    /// Microseconds since the Unix epoch.
    public var now: @Sendable () -> UInt64

    public init(now: @escaping @Sendable () -> UInt64) {
        self.now = now
    }

    public static let system = WallClock { UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000)) }
}

extension Duration {
    /// Whole microseconds, rounded down; for the …USec wire fields.
    var microseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) * 1_000_000 + UInt64(max(0, attoseconds)) / 1_000_000_000_000
    }
}
