#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import NameIndexCore
import NameIndexProtocol
import ServiceLifecycle
import Synchronization

/// Serves the lookup socket: a read-only subset of the Redis protocol (RESP2, RESP3 after
/// `HELLO 3`), so that any Redis client resolves names: `HGET user 42`.
struct LookupServer: Service {
    /// The Redis version whose protocol this socket speaks, for clients that ask.
    static let redisVersion = "7.0.0"

    let socket: ListeningSocket
    let store: Store
    let counters: LookupCounters
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// `max_connections`, within the descriptors this process may open.
    var maximumConnections: Int
    var maximumRequestBytes = RESPRequestParser.defaultMaximumRequestBytes
    var maximumArguments = RESPRequestParser.defaultMaximumArguments
    var limits = LookupLimits()
    /// Its connections, for the metrics.
    var meter = ConnectionMeter()

    func run() async throws {
        let state = LookupServerState(counters: counters, maximumConnections: maximumConnections, logger: logger, meter: meter)
        let limits = self.limits
        let refusals = LogRateLimit()
        let connections = ConnectionSet()
        let parser = RESPRequestParser(maximumRequestBytes: maximumRequestBytes, maximumArguments: maximumArguments)
        let store = self.store
        let logger = self.logger
        let bootstrap = ListeningSocket.bootstrap(group: eventLoopGroup)
            // Replies beyond 256 KiB unread by the client make the channel unwritable: reading stops.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 64 << 10, high: 256 << 10))
            .childChannelInitializer { channel in
                guard state.open() else {
                    refusals.log { suppressed in
                        logger.notice(
                            "Refusing a lookup connection: \(state.maximumConnections) connections are open (max_connections)\(suppressed > 0 ? "; \(suppressed) more refused since the last message" : "").")
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RefusingHandler())
                    }
                }
                connections.insert(channel)
                channel.closeFuture.whenComplete { _ in
                    state.close()
                    connections.remove(channel)
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RESPConnectionHandler(
                            store: store, server: state, parser: parser, limits: limits,
                            shard: state.counters.shard(for: channel.eventLoop)))
                }
            }
        let server: any Channel = try await socket.open(speaks: "Redis protocol, read-only", logger: logger) {
            try await bootstrap.withBoundSocket($0).get()
        } bind: {
            try await bootstrap.bind(unixDomainSocketPath: $0, cleanupExistingSocketFile: true).get()
        }
        defer { socket.removeFile() }
        try await withGracefulShutdownHandler {
            try await server.closeFuture.get()
        } onGracefulShutdown: {
            // Stop accepting, then end every connection: lookups are answered as they come, so
            // nothing is in flight beyond what the event loops finish before the close.
            server.close(promise: nil)
            connections.closeAll()
        }
        connections.closeAll()
    }
}
