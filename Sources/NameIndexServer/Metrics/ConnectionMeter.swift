import Synchronization

/// The connections of one socket, for the metrics: open now, and refused since the start.
/// Two relaxed atomic adds per connection, none per request.
public final class ConnectionMeter: Sendable {
    let open = Atomic<Int>(0)
    let refused = Atomic<Int>(0)

    public init() {}

    var openCount: Int { open.load(ordering: .relaxed) }
    var refusedCount: Int { refused.load(ordering: .relaxed) }
}
