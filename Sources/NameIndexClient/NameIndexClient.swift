import NameIndexProtocol

/// Typed calls to nameindexd's control socket (`io.nameindex.Index`).
///
/// Each call opens its own connection; use ``VarlinkConnection`` directly to
/// make several calls on one.
public struct NameIndexClient: Sendable {
    public let socketPath: String

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    public func lookup(namespace: String, keys: [String]) async throws -> IndexInterface.LookupReply {
        try await call(.lookup, IndexInterface.LookupParameters(namespace: namespace, keys: keys))
    }

    public func listNamespaces() async throws -> IndexInterface.ListNamespacesReply {
        try await call(.listNamespaces, NoParameters())
    }

    public func status() async throws -> IndexInterface.StatusReply {
        try await call(.status, NoParameters())
    }

    /// Reloads `sources` (empty: all) and returns the outcome.
    /// A full reload of `sources` (all when empty), or with `mode` `.delta` their deltas.
    public func reload(sources: [String] = [], mode: IndexInterface.ReloadParameters.Mode? = nil) async throws
        -> IndexInterface.ReloadReply
    {
        try await call(.reload, IndexInterface.ReloadParameters(sources: sources.isEmpty ? nil : sources, mode: mode))
    }

    /// Calls made over one connection, for many calls in a row (`namectl get NAMESPACE -`).
    public struct Session {
        let connection: VarlinkConnection

        public func lookup(namespace: String, keys: [String]) async throws -> IndexInterface.LookupReply {
            try await connection.call(
                IndexInterface.Method.lookup.qualifiedName, parameters: IndexInterface.LookupParameters(namespace: namespace, keys: keys))
        }
    }

    /// Runs `body` with a session on one connection, closed afterwards.
    public func withSession<R>(_ body: (Session) async throws -> R) async throws -> R {
        try await VarlinkConnection.withConnection(socketPath: socketPath) { try await body(Session(connection: $0)) }
    }

    /// The daemon's metrics in the Prometheus text format.
    public func metrics() async throws -> String {
        let reply: IndexInterface.MetricsReply = try await call(.metrics, NoParameters())
        return reply.text
    }

    /// The most missed keys of `namespace`.
    public func misses(namespace: String, limit: Int? = nil) async throws -> IndexInterface.MissesReply {
        try await call(.misses, IndexInterface.MissesParameters(namespace: namespace, limit: limit))
    }

    /// Which source answers `key` in `namespace`, and what every other source says.
    public func explain(namespace: String, key: String) async throws -> IndexInterface.ExplainReply {
        try await call(.explain, IndexInterface.ExplainParameters(namespace: namespace, key: key))
    }

    public func cancelReload() async throws -> IndexInterface.CancelReloadReply {
        try await call(.cancelReload, NoParameters())
    }

    /// Reloads with progress: `progress` gets every reply, `continues` true for all but the last,
    /// which is the outcome (a failed reload throws instead).
    public func reload(
        sources: [String] = [], mode: IndexInterface.ReloadParameters.Mode? = nil,
        progress: (_ reply: IndexInterface.ReloadReply, _ continues: Bool) async throws -> Void
    ) async throws {
        try await VarlinkConnection.withConnection(socketPath: socketPath) { connection in
            try await connection.callMore(
                IndexInterface.Method.reload.qualifiedName,
                parameters: IndexInterface.ReloadParameters(sources: sources.isEmpty ? nil : sources, mode: mode),
                returning: IndexInterface.ReloadReply.self, progress)
        }
    }

    private func call<P: Codable & Sendable, R: Codable & Sendable>(
        _ method: IndexInterface.Method, _ parameters: P
    ) async throws -> R {
        try await VarlinkConnection.withConnection(socketPath: socketPath) { connection in
            try await connection.call(method.qualifiedName, parameters: parameters)
        }
    }
}
