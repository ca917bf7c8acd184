import NIOCore

/// Closes a connection whose message has begun but not ended within a time limit
/// (PostgreSQL's `authentication_timeout`, for every message).
///
/// It watches the bytes go by for the message terminator (varlink's NUL). The clock starts
/// when bytes arrive after the last complete message and is reset by each message that
/// completes, so a client streaming many messages is never cut off, while one that sends
/// half a message and stops (or trickles it byte by byte) is dropped. An idle connection
/// with no partial message is left alone.
final class PartialMessageTimeoutHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let terminator: UInt8
    private let onTimeout: @Sendable () -> Void
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount, terminator: UInt8, onTimeout: @escaping @Sendable () -> Void) {
        self.timeout = timeout
        self.terminator = terminator
        self.onTimeout = onTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if buffer.readableBytes > 0 {
            let view = buffer.readableBytesView
            if let last = view.lastIndex(of: terminator) {
                // A message completed: whatever follows starts a new clock.
                timer?.cancel()
                timer = nil
                if last != view.index(before: view.endIndex) { start(context) }
            } else if timer == nil {
                start(context)
            }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    private func start(_ context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let onTimeout = self.onTimeout
        timer = context.eventLoop.scheduleTask(in: timeout) {
            onTimeout()
            bound.value.close(promise: nil)
        }
    }
}
