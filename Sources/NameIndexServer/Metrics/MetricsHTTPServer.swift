import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The optional HTTP listener for Prometheus (`metrics_listen`): `GET /metrics` (or `HEAD`)
/// answers the metrics text; any other path is 404, any other method 405. One request per
/// connection (the answer says `Connection: close`); a request must arrive complete within
/// `request_timeout`, and at most ``maximumConnections`` connections are open at once, so a
/// client that connects and says nothing, or floods, costs a bounded amount.
struct MetricsHTTPServer: Service {
    let host: String
    let port: Int
    let render: @Sendable () async -> String
    let logger: Logger
    var requestTimeout: Duration = .seconds(10)
    var group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    static let maximumConnections = 64

    func run() async throws {
        let meter = ConnectionMeter()
        let render = self.render
        let timeout = TimeAmount(requestTimeout)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard meter.open.add(1, ordering: .relaxed).newValue <= Self.maximumConnections else {
                    meter.open.subtract(1, ordering: .relaxed)
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in meter.open.subtract(1, ordering: .relaxed) }
                // A request not complete within the timeout closes the connection.
                let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
                channel.closeFuture.whenComplete { _ in deadline.cancel() }
                return channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(MetricsRequestHandler(render: render))
                }
            }
            .bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        logger.info("Serving metrics on http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/metrics.")
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// Answers one HTTP request with the metrics, then closes.
final class MetricsRequestHandler: ChannelInboundHandler, @unchecked Sendable {  // used on its channel's event loop only
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: @Sendable () async -> String
    private var head: HTTPRequestHead?

    init(render: @escaping @Sendable () async -> String) { self.render = render }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request): head = request
        case .body: break  // a GET has none; anything sent is ignored
        case .end:
            guard let request = head else { return }
            head = nil
            let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
            guard path == "/metrics" else { return respond(context, .notFound, "Not found: only /metrics is served.\n", head: false) }
            guard request.method == .GET || request.method == .HEAD else {
                return respond(context, .methodNotAllowed, "Only GET and HEAD.\n", head: false, allow: true)
            }
            let render = self.render
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            let headOnly = request.method == .HEAD
            Task {
                let text = await render()
                loop.execute {
                    let (handler, context) = bound.value
                    handler.respond(context, .ok, text, head: headOnly, contentType: "text/plain; version=0.0.4; charset=utf-8")
                }
            }
        }
    }

    private func respond(
        _ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ body: String, head: Bool,
        contentType: String = "text/plain; charset=utf-8", allow: Bool = false
    ) {
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.utf8.count)"), ("Connection", "close")])
        if allow { headers.add(name: "Allow", value: "GET, HEAD") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if !head {
            var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
