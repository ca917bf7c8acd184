import NIOCore
import NameIndexCore
import NameIndexProtocol

/// One lookup connection: parses pipelined requests straight from the bytes read, answers
/// each against the serving generation, and sends the replies of one read together.
///
/// - Nothing is allocated per request except what a reply needs: arguments are byte ranges
///   of the input (``RESPRequestParser``), names are copied from the table into the reply
///   buffer, and lookup counts are tallied locally and added to ``LookupCounters`` once per
///   read.
/// - Back-pressure: while the channel is not writable (the client does not read its
///   replies), no more is read from it, so replies cannot pile up without bound. Within a
///   read, requests are answered until ``LookupLimits/flushBytes`` of replies are waiting;
///   those are sent, and the rest of the read waits until the client has taken them.
/// - One request's reply is at most ``LookupLimits/maximumReplyBytes``; a larger one is
///   never built: the client gets `-ERR` instead.
/// - A request begun must be complete within ``LookupLimits/requestTimeout`` (reset by
///   every request that completes), and a connection with nothing sent for
///   ``LookupLimits/idleTimeout`` (when set) is closed.
/// - Before the first generation serves, requests wait (nothing more is read) instead of
///   failing.
/// - A framing error gets `-ERR Protocol error: …` and closes this connection only.
final class RESPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let store: Store
    private let server: LookupServerState
    private var parser: RESPRequestParser
    private var session: RESPSession
    /// Bytes read but not yet parsed (the start of an incomplete request).
    private var pending: ByteBuffer?
    /// Replies not yet written.
    private var replies: ByteBuffer?
    private var tally: LookupTally
    private var cache = NamespaceCache()
    private var batch = HGETBatch()
    /// The generation the tally counts against, during a read.
    private var tallied: Index?
    private var readHeld = false
    private var waitingForIndex = false
    /// Requests are waiting in `pending` for the client to take the replies already sent.
    private var pausedForWrites = false
    private var closing = false
    private var inputClosed = false
    private let limits: LookupLimits
    /// When the unfinished request at the end of `pending` began (or the last one before it
    /// completed); nil when `pending` holds no partial request.
    private var partialSince: NIODeadline?
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var timerArmed = false

    init(store: Store, server: LookupServerState, parser: RESPRequestParser, limits: LookupLimits = LookupLimits(), shard: Int = 0) {
        self.store = store
        self.server = server
        self.parser = parser
        self.limits = limits
        self.session = RESPSession(id: server.newClientID())
        self.tally = LookupTally(counters: server.counters, shard: shard)
    }

    func channelActive(context: ChannelHandlerContext) {
        lastActivity = context.eventLoop.now
        armTimer(context: context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            lastActivity = context.eventLoop.now
            armTimer(context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        guard !closing else { return }
        if limits.idleTimeout != nil { lastActivity = context.eventLoop.now }
        if var buffer = pending {
            pending = nil
            buffer.writeBuffer(&input)
            pending = buffer
        } else {
            pending = input
        }
        process(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        sendReplies(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The client wrote and half-closed: answer what it sent, then close.
            inputClosed = true
            if !waitingForIndex && !pausedForWrites {
                sendReplies(context: context)
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let index = tallied { tally.flush(index: index) }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && pausedForWrites {
            pausedForWrites = false
            process(context: context)
            sendReplies(context: context)
            if inputClosed && !pausedForWrites && !waitingForIndex { context.close(promise: nil) }
        }
        if context.channel.isWritable && readHeld && !waitingForIndex && !pausedForWrites {
            readHeld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if !context.channel.isWritable || waitingForIndex || pausedForWrites {
            readHeld = true
            return
        }
        context.read()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Parses and answers every complete request in `pending`, sending replies whenever
    /// ``LookupLimits/flushBytes`` are waiting; pauses while the client does not take them.
    private func process(context: ChannelHandlerContext) {
        while processSome(context: context) {
            sendReplies(context: context)
            guard context.channel.isWritable else {
                pausedForWrites = true
                return
            }
        }
    }

    /// Answers requests from `pending` until they run out or replies reach the flush bound;
    /// true when it stopped at the bound with requests left.
    private func processSome(context: ChannelHandlerContext) -> Bool {
        guard var input = pending, input.readableBytes > 0 else {
            partialSince = nil
            return false
        }
        guard let index = store.current else {
            waitForIndex(context: context)
            return false
        }
        if let previous = tallied, previous !== index { tally.flush(index: previous) }
        tallied = index
        var reply = RESPReply(buffer: takeReplyBuffer(context: context), version: session.version)
        var consumed = 0
        var close = false
        var full = false
        let limits = self.limits
        input.withUnsafeReadableBytes { bytes in
            do {
                while consumed < bytes.count {
                    if reply.buffer.readableBytes >= limits.flushBytes {
                        full = true
                        break
                    }
                    let rest = UnsafeRawBufferPointer(rebasing: bytes[consumed...])
                    guard case .request(let length) = try parser.parse(rest) else { break }
                    let arguments = parser.arguments
                    if HGETBatch.isHGET(bytes, arguments, at: consumed) {
                        // Pipelined HGETs are answered together (see HGETBatch).
                        if !batch.accepts(bytes, arguments, at: consumed) {
                            batch.answer(bytes, index: index, tally: &tally, reply: &reply, cache: &cache, limit: limits.maximumReplyBytes)
                        }
                        batch.add(arguments, at: consumed)
                    } else if !arguments.isEmpty {
                        batch.answer(bytes, index: index, tally: &tally, reply: &reply, cache: &cache, limit: limits.maximumReplyBytes)
                        let commands = RESPCommands(bytes: rest, arguments: arguments, index: index, server: server)
                        let mark = reply.limit(to: limits.maximumReplyBytes)
                        if case .close = commands.execute(session: &session, tally: &tally, reply: &reply, cache: &cache) { close = true }
                        if reply.overflowed {
                            reply.rollback(to: mark)
                            reply.error(limits.replyTooLargeMessage)
                        } else {
                            reply.unlimit()
                        }
                    }
                    consumed += length
                    if close { break }
                }
                batch.answer(bytes, index: index, tally: &tally, reply: &reply, cache: &cache, limit: limits.maximumReplyBytes)
            } catch let error as RESPProtocolError {
                batch.answer(bytes, index: index, tally: &tally, reply: &reply, cache: &cache, limit: limits.maximumReplyBytes)
                reply.error("ERR \(error.message)")
                close = true
            } catch {
                batch.answer(bytes, index: index, tally: &tally, reply: &reply, cache: &cache, limit: limits.maximumReplyBytes)
                reply.error("ERR \(error)")
                close = true
            }
        }
        input.moveReaderIndex(forwardBy: consumed)
        if input.readableBytes == 0 {
            pending = nil
            partialSince = nil
        } else {
            // Keep only the unparsed tail, so a long-lived connection does not hold old reads.
            if input.readerIndex > 64 << 10 { input.discardReadBytes() }
            pending = input
            if full {
                partialSince = nil  // complete requests wait for the client, not the other way round
            } else if consumed > 0 || partialSince == nil {
                partialSince = context.eventLoop.now
                armTimer(context: context)
            }
        }
        replies = reply.buffer
        if close {
            closing = true
            pending = nil
            sendReplies(context: context)
            context.close(promise: nil)
            return false
        }
        return full
    }

    // MARK: Timeouts

    /// Schedules the next timeout check, unless one is scheduled or none applies. One timer a
    /// connection at most, re-armed when it fires: nothing is scheduled per request.
    private func armTimer(context: ChannelHandlerContext) {
        guard !timerArmed, !closing else { return }
        var next: NIODeadline?
        if let since = partialSince { next = since + limits.requestTimeout }
        if let idle = limits.idleTimeout {
            let at = lastActivity + idle
            next = next.map { min($0, at) } ?? at
        }
        guard let next else { return }
        timerArmed = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(deadline: next) {
            let (handler, context) = bound.value
            handler.timerArmed = false
            handler.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        guard context.channel.isActive, !closing else { return }
        // Waiting for the first generation or for the client to read: the delay is ours or
        // the client's reading, not a client that stopped sending.
        if !waitingForIndex && !pausedForWrites {
            let now = context.eventLoop.now
            if let since = partialSince, now >= since + limits.requestTimeout {
                server.noteTimeout(.request)
                return close(context: context)
            }
            if let idle = limits.idleTimeout, pending == nil, now >= lastActivity + idle {
                server.noteTimeout(.idle)
                return close(context: context)
            }
        }
        armTimer(context: context)
    }

    private func close(context: ChannelHandlerContext) {
        closing = true
        pending = nil
        context.close(promise: nil)
    }

    /// The reply buffer, taken out of the handler so that the reply holds its only reference:
    /// a second one would make its first write copy it.
    private func takeReplyBuffer(context: ChannelHandlerContext) -> ByteBuffer {
        guard let buffer = replies else { return context.channel.allocator.buffer(capacity: 256) }
        replies = nil
        return buffer
    }

    private func sendReplies(context: ChannelHandlerContext) {
        if var buffer = replies, buffer.readableBytes > 0 {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            // Kept for the next replies: once the write went out (as it mostly does at once on a
            // Unix socket) this is the only reference, and clearing it reuses its memory.
            replies = nil
            buffer.clear()
            replies = buffer.capacity <= 64 << 10 ? buffer : nil
        }
        // Counted once per read; and no reference to the generation outlives the read, so an
        // idle connection never keeps an old generation alive.
        if let index = tallied { tally.flush(index: index) }
        tallied = nil
    }

    /// Holds the connection until a generation serves, then answers what it sent.
    private func waitForIndex(context: ChannelHandlerContext) {
        guard !waitingForIndex else { return }
        waitingForIndex = true
        let store = self.store
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        Task {
            let index = await store.servingIndex()
            loop.execute {
                let (handler, context) = bound.value
                handler.waitingForIndex = false
                guard index != nil, context.channel.isActive else {
                    context.close(promise: nil)
                    return
                }
                handler.process(context: context)
                handler.sendReplies(context: context)
                handler.armTimer(context: context)
                if handler.inputClosed && !handler.pausedForWrites {
                    context.close(promise: nil)
                } else if handler.readHeld && context.channel.isWritable && !handler.pausedForWrites {
                    handler.readHeld = false
                    context.read()
                }
            }
        }
    }
}
