import NIOCore
import NIOEmbedded
import NameIndexCore
import NameIndexProtocol
import Testing

@testable import NameIndexServer

/// What one lookup connection may cost: a bounded reply per request, replies sent in bounded
/// pieces while the client reads, and timeouts for half-sent requests and idle clients. The
/// clock is the EmbeddedEventLoop's, advanced by hand: no test waits for real time.
@Suite struct LookupLimitsTests {
    let store: Store
    static let bigName = String(repeating: "n", count: 100_000)

    init() throws {
        let users = KeyTableBuilder()
        try users.insert(key: "1", name: "Ana")
        try users.insert(key: "2", name: Self.bigName)
        var index = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        index.add(source: "users", namespace: "user", table: users.build())
        store = Store(index: index.build())
    }

    func channel(_ limits: LookupLimits) throws -> EmbeddedChannel {
        let state = LookupServerState(counters: LookupCounters(), maximumConnections: 10)
        let channel = EmbeddedChannel(
            handler: RESPConnectionHandler(store: store, server: state, parser: RESPRequestParser(), limits: limits))
        try channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/x")).wait()
        return channel
    }

    func output(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func aReplyOverTheLimitIsAnErrorAndNothingElse() throws {
        var limits = LookupLimits()
        limits.maximumReplyBytes = 64 << 10
        let channel = try channel(limits)
        let error = "-\(limits.replyTooLargeMessage)\r\n"
        try channel.writeInbound(ByteBuffer(string: "HGET user 2\r\nHGET user 1\r\nHMGET user 1 2\r\nHSCAN user 0\r\nPING\r\n"))
        // The two HGETs are one batch: too big together, answered one by one.
        #expect(try output(channel) == error + "$3\r\nAna\r\n" + error + error + "+PONG\r\n")
        try channel.writeInbound(ByteBuffer(string: "HGET user 1\r\nHGET user 1\r\nHMGET user 1 nope\r\n"))
        #expect(try output(channel) == "$3\r\nAna\r\n$3\r\nAna\r\n*2\r\n$3\r\nAna\r\n$-1\r\n")
        #expect(channel.isActive)
    }

    /// A client that pipelines requests for large replies and never reads: the handler sends
    /// a bounded piece, then answers nothing more (and reads nothing more) until the channel
    /// is writable again; then it goes on where it stopped, in order.
    @Test func repliesAreSentInBoundedPiecesWhileTheClientDoesNotRead() throws {
        var limits = LookupLimits()
        limits.flushBytes = 256 << 10
        let channel = try channel(limits)
        let request = "HGET user 2\r\nPING\r\n"
        channel.isWritable = false
        try channel.writeInbound(ByteBuffer(string: String(repeating: request, count: 100)))
        var sent = 0
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { sent += buffer.readableBytes }
        let one = "$100000\r\n".utf8.count + 100_000 + 2 + "+PONG\r\n".utf8.count
        #expect(sent > 0 && sent <= limits.flushBytes + one, "\(sent) bytes went out while the client did not read")
        // Still not writable: a writability event changes nothing.
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        var rest = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { rest += String(buffer: buffer) }
        #expect(sent + rest.utf8.count == 100 * one)
        #expect(rest.hasSuffix("$100000\r\n" + Self.bigName + "\r\n+PONG\r\n"))
        #expect(rest.components(separatedBy: "+PONG").count - 1 + sent / one == 100)
    }

    @Test func aHalfSentRequestIsDroppedAfterTheRequestTimeout() throws {
        var limits = LookupLimits()
        limits.requestTimeout = .seconds(10)
        let channel = try channel(limits)
        try channel.writeInbound(ByteBuffer(string: "PING\r\n*2\r\n$4\r\nEC"))
        #expect(try output(channel) == "+PONG\r\n")
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        // More bytes of the same request do not restart the clock.
        try channel.writeInbound(ByteBuffer(string: "HO\r\n"))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "closed 10 s after the request began")
    }

    @Test func completedRequestsRestartTheClockAndIdleClientsStay() throws {
        let channel = try channel(LookupLimits())
        for _ in 0..<5 {
            // Each read completes a request and leaves the start of the next.
            try channel.writeInbound(ByteBuffer(string: "\r\n*1\r\n$4\r\nPING"))
            channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        }
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "\r\n"))
        #expect(try output(channel).components(separatedBy: "+PONG").count == 6)
        // Nothing partial, no idle timeout set: open for as long as the client likes.
        channel.embeddedEventLoop.advanceTime(by: .hours(24))
        #expect(channel.isActive)
    }

    @Test func anIdleTimeoutClosesQuietClients() throws {
        var limits = LookupLimits()
        limits.idleTimeout = .seconds(60)
        let channel = try channel(limits)
        channel.embeddedEventLoop.advanceTime(by: .seconds(50))
        try channel.writeInbound(ByteBuffer(string: "PING\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(50))
        #expect(channel.isActive, "the PING 50 s ago counts as activity")
        channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        #expect(!channel.isActive)
    }
}
