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
    static let defaultMaximumConnections = 10_000

    let socketPath: String
    let store: Store
    let counters: LookupCounters
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    var maximumConnections = LookupServer.defaultMaximumConnections
    var maximumRequestBytes = RESPRequestParser.defaultMaximumRequestBytes
    var maximumArguments = RESPRequestParser.defaultMaximumArguments
    var limits = LookupLimits()
    var socketMode: mode_t = 0o666
    /// A listening socket passed by systemd (`FileDescriptorName=lookup`); nil: bind `socketPath`.
    var adoptedDescriptor: Int32?

    func run() async throws {
        let state = LookupServerState(counters: counters, maximumConnections: maximumConnections, logger: logger)
        let limits = self.limits
        let refusals = LogRateLimit()
        let connections = ConnectionSet()
        let parser = RESPRequestParser(maximumRequestBytes: maximumRequestBytes, maximumArguments: maximumArguments)
        let store = self.store
        let logger = self.logger
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
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
                        RESPConnectionHandler(store: store, server: state, parser: parser, limits: limits))
                }
            }
        let server: any Channel
        if let adoptedDescriptor {
            server = try await bootstrap.withBoundSocket(adoptedDescriptor).get()
            logger.info("Listening on the lookup socket passed by systemd (\(socketPath); Redis protocol, read-only).")
        } else {
            try UnixSocketProbe.requireFree(socketPath)
            server = try await bootstrap.bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true).get()
            chmod(socketPath, socketMode)
            logger.info("Listening on \(socketPath) (Redis protocol, read-only).")
        }
        let ownsFile = adoptedDescriptor == nil
        defer { if ownsFile { unlink(socketPath) } }
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

/// The open lookup connections, to close them on shutdown.
final class ConnectionSet: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func insert(_ channel: any Channel) { channels.withLock { $0[ObjectIdentifier(channel)] = channel } }

    func remove(_ channel: any Channel) { channels.withLock { $0[ObjectIdentifier(channel)] = nil } }

    func closeAll() {
        for channel in channels.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }
}

/// Says Redis's words for a full server once the connection is up, then closes it.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 48)
        buffer.writeStaticString("-ERR max number of clients reached\r\n")
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
