#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import NameIndexProtocol
import ServiceLifecycle
import Synchronization

/// Serves varlink on the control socket.
///
/// Every connection runs in its own child task with its own `do/catch`, so a
/// client that sends garbage, disconnects mid-message or exceeds the message
/// limit only ever ends its own connection. On graceful shutdown the server
/// stops accepting, lets calls in progress finish and send their replies,
/// closes idle connections, and removes the socket file it created.
struct ControlServer: Service {
    let socket: ListeningSocket
    let handler: ControlRequestHandler
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    var maximumMessageSize = VarlinkFrameDecoder.defaultMaximumMessageSize
    /// Connections open at once (`control_max_connections`).
    var limits = ControlConnectionLimits(maximum: 1024, privileged: [0, getuid()])
    /// A message begun must end within this (`request_timeout`).
    var requestTimeout: Duration = .seconds(10)
    private let refusals = LogRateLimit()
    private let timeouts = LogRateLimit()

    func run() async throws {
        let maximum = maximumMessageSize
        let timeout = TimeAmount(requestTimeout)
        let logger = self.logger
        let timeouts = self.timeouts
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    PartialMessageTimeoutHandler(timeout: timeout, terminator: 0) {
                        timeouts.log { suppressed in
                            logger.notice(
                                "Closing a control connection: no complete message within request_timeout\(suppressed > 0 ? " (and \(suppressed) more since the last message)" : "").")
                        }
                    })
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(VarlinkFrameDecoder(maximumMessageSize: maximum)))
                try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(VarlinkFrameEncoder()))
                // The deinit-based initializer on purpose: a connection accepted during
                // shutdown can be dropped by the server channel before it reaches our
                // accept loop (apple/swift-nio#2637); this way it is closed instead of
                // trapping. Connections we do receive are still closed by executeThenClose.
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(synchronouslyWrapping: channel)
            }
        }
        // Anyone may connect; methods that change state check credentials.
        let bootstrap = ListeningSocket.bootstrap(group: eventLoopGroup)
        let server = try await socket.open(speaks: "varlink, interface \(IndexInterface.name)", logger: logger) {
            try await bootstrap.bind($0, childChannelInitializer: initializer)
        } bind: {
            try await bootstrap.bind(unixDomainSocketPath: $0, cleanupExistingSocketFile: true, childChannelInitializer: initializer)
        }
        defer { socket.removeFile() }
        // On shutdown, close the listening channel rather than abandoning the accept loop:
        // every connection already accepted must still be served (and closed) by its own
        // task, or NIO traps on a connection dropped without executeThenClose.
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await serve(connection) }
                        }
                    }
                } catch where Task.isShuttingDownGracefully {
                    logger.debug("Control socket closed for shutdown: \(error)")
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let channel = connection.channel
        let state = Mutex(ConnectionState())
        let peer = await PeerCredentials.of(channel)
        if let refused = limits.open(uid: peer?.uid) {
            refusals.log { suppressed in
                let uid = peer.map { String($0.uid) } ?? "unknown"
                guard case .limitExceeded(let limit, let maximum) = refused else { return }
                logger.notice(
                    "Refusing a control connection from uid \(uid): \(limit) is \(maximum)\(suppressed > 0 ? " (\(suppressed) more refused since the last message)" : "").")
            }
            try? await connection.executeThenClose { _, outbound in
                try await outbound.write(handler.encodeError(refused.reply, channel.allocator))
            }
            return
        }
        defer { limits.close(uid: peer?.uid) }
        await withGracefulShutdownHandler {
            do {
                try await connection.executeThenClose { inbound, outbound in
                    do {
                        for try await frame in inbound {
                            state.withLock { $0.busy = true }
                            try await handler.handle(frame, peer: peer, allocator: channel.allocator) { try await outbound.write($0) }
                            let closing = state.withLock { state in
                                state.busy = false
                                return state.closing
                            }
                            if closing { break }
                        }
                    } catch let error as VarlinkFrameError {
                        logger.notice("Closing a control connection: \(error).")
                        try await outbound.write(handler.invalidMessageReply("\(error)", allocator: channel.allocator))
                    }
                }
            } catch {
                logger.debug("Control connection ended: \(error)")
            }
        } onGracefulShutdown: {
            let idle = state.withLock { state in
                state.closing = true
                return !state.busy
            }
            if idle { channel.close(promise: nil) }
        }
    }

    private struct ConnectionState {
        var busy = false
        var closing = false
    }
}
