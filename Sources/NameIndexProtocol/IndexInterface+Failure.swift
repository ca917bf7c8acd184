extension IndexInterface {
    /// The errors of this interface, as typed values.
    public enum Failure: Error, Sendable, Equatable {
        case noSuchNamespace(String)
        case noSuchSource(String)
        case reloadFailed(reason: String, generation: UInt64, failedSources: [String])
        case permissionDenied(uid: Int)
        case reloadCancelled(generation: UInt64)
        case invalidMessage(String)
        case shuttingDown
        case limitExceeded(limit: String, maximum: Int)

        public var reply: VarlinkErrorReply {
            switch self {
            case .noSuchNamespace(let namespace):
                .init(name: "\(IndexInterface.name).NoSuchNamespace", parameters: .object(["namespace": .string(namespace)]))
            case .noSuchSource(let source):
                .init(name: "\(IndexInterface.name).NoSuchSource", parameters: .object(["source": .string(source)]))
            case .reloadFailed(let reason, let generation, let failed):
                .init(
                    name: "\(IndexInterface.name).ReloadFailed",
                    parameters: .object([
                        "reason": .string(reason), "generation": .number(Double(generation)),
                        "failedSources": .array(failed.map { .string($0) }),
                    ]))
            case .permissionDenied(let uid):
                .init(name: "\(IndexInterface.name).PermissionDenied", parameters: .object(["uid": .number(Double(uid))]))
            case .reloadCancelled(let generation):
                .init(name: "\(IndexInterface.name).ReloadCancelled", parameters: .object(["generation": .number(Double(generation))]))
            case .invalidMessage(let reason):
                .init(name: "\(IndexInterface.name).InvalidMessage", parameters: .object(["reason": .string(reason)]))
            case .shuttingDown:
                .init(name: "\(IndexInterface.name).ShuttingDown")
            case .limitExceeded(let limit, let maximum):
                .init(
                    name: "\(IndexInterface.name).LimitExceeded",
                    parameters: .object(["limit": .string(limit), "maximum": .number(Double(maximum))]))
            }
        }

        /// The typed error for a reply from the wire, if it is one of ours.
        public init?(_ reply: VarlinkErrorReply) {
            let p = reply.parameters
            var generation: UInt64 = 0
            if case .number(let n)? = p["generation"], n >= 0, n < 1e19 { generation = UInt64(n) }
            switch reply.name {
            case "\(IndexInterface.name).NoSuchNamespace":
                self = .noSuchNamespace(p["namespace"]?.stringValue ?? "")
            case "\(IndexInterface.name).NoSuchSource":
                self = .noSuchSource(p["source"]?.stringValue ?? "")
            case "\(IndexInterface.name).ReloadFailed":
                var failed: [String] = []
                if case .array(let items)? = p["failedSources"] { failed = items.compactMap(\.stringValue) }
                self = .reloadFailed(reason: p["reason"]?.stringValue ?? "", generation: generation, failedSources: failed)
            case "\(IndexInterface.name).PermissionDenied":
                var uid = -1
                if case .number(let n)? = p["uid"], n >= 0, n < 1e10 { uid = Int(n) }
                self = .permissionDenied(uid: uid)
            case "\(IndexInterface.name).ReloadCancelled":
                self = .reloadCancelled(generation: generation)
            case "\(IndexInterface.name).InvalidMessage":
                self = .invalidMessage(p["reason"]?.stringValue ?? "")
            case "\(IndexInterface.name).ShuttingDown":
                self = .shuttingDown
            case "\(IndexInterface.name).LimitExceeded":
                var maximum = 0
                if case .number(let n)? = p["maximum"], n.isFinite, n >= 0, n < 1e15 { maximum = Int(n) }
                self = .limitExceeded(limit: p["limit"]?.stringValue ?? "", maximum: maximum)
            default:
                return nil
            }
        }
    }
}
