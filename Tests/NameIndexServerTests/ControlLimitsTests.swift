import Foundation
import NIOCore
import NIOEmbedded
import NameIndexCore
import NameIndexProtocol
import Testing

@testable import NameIndexServer

/// The control socket's bounds: keys per Lookup, connections in all and per user, and the
/// deadline for a message that never ends (on the EmbeddedEventLoop's clock, not real time).
@Suite struct ControlLimitsTests {
    @Test func aLookupOfTooManyKeysSaysTheLimit() async throws {
        let builder = KeyTableBuilder()
        try builder.insert(key: "1", name: "Ana")
        var index = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        index.add(source: "users", namespace: "user", table: builder.build())
        let handler = ControlRequestHandler(store: Store(index: index.build()), coordinator: ReloadCoordinator(sources: [], startedAtUSec: 1))
        func call(_ keys: Int) async throws -> JSONValue {
            let list = (0..<keys).map { "\"\($0)\"" }.joined(separator: ",")
            var out: [ByteBuffer] = []
            try await handler.handle(
                ByteBuffer(string: #"{"method":"io.nameindex.Index.Lookup","parameters":{"namespace":"user","keys":[\#(list)]}}"#),
                peer: nil, allocator: ByteBufferAllocator()
            ) { out.append($0) }
            return try JSONDecoder().decode(JSONValue.self, from: Data(try #require(out.first).readableBytesView))
        }
        let maximum = ControlRequestHandler.maximumLookupKeys
        let over = try await call(maximum + 1)
        #expect(over["error"] == .string("io.nameindex.Index.LimitExceeded"))
        #expect(over["parameters"] == .object(["limit": .string("lookup_keys"), "maximum": .number(Double(maximum))]))
        let at = try await call(maximum)
        guard case .array(let names)? = at["parameters"]?["names"] else {
            Issue.record("no names in \(at)")
            return
        }
        #expect(names.count == maximum)
        let failure = IndexInterface.Failure(VarlinkErrorReply(name: "io.nameindex.Index.LimitExceeded", parameters: try #require(over["parameters"])))
        #expect(failure == .limitExceeded(limit: "lookup_keys", maximum: maximum))
    }

    @Test func connectionsAreLimitedInAllAndPerUserButNeverForRootOrTheDaemon() {
        let limits = ControlConnectionLimits(maximum: 8, privileged: [0, 999])
        #expect(limits.maximumPerUID == 2)
        #expect(limits.open(uid: 1000) == nil && limits.open(uid: 1000) == nil)
        #expect(limits.open(uid: 1000) == .limitExceeded(limit: "control_connections_per_uid", maximum: 2))
        for uid: UInt32 in 1001...1003 {
            #expect(limits.open(uid: uid) == nil && limits.open(uid: uid) == nil)
        }
        #expect(limits.openCount == 8)
        #expect(limits.open(uid: 1004) == .limitExceeded(limit: "control_connections", maximum: 8))
        #expect(limits.open(uid: nil) == .limitExceeded(limit: "control_connections", maximum: 8))
        for _ in 0..<20 { #expect(limits.open(uid: 0) == nil && limits.open(uid: 999) == nil) }
        for _ in 0..<20 { limits.close(uid: 0); limits.close(uid: 999) }
        limits.close(uid: 1000)
        #expect(limits.open(uid: 1004) == nil, "a slot freed is a slot to take")
        #expect(limits.openCount == 8)
    }

    func channel() throws -> (EmbeddedChannel, Counter) {
        let fired = Counter()
        let channel = EmbeddedChannel(
            handler: PartialMessageTimeoutHandler(timeout: .seconds(10), terminator: 0) { fired.add() })
        try channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/x")).wait()
        return (channel, fired)
    }

    @Test func aMessageThatNeverEndsIsDroppedAtTheDeadline() throws {
        let (channel, fired) = try channel()
        try channel.writeInbound(ByteBuffer(string: "{\"method\":"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        try channel.writeInbound(ByteBuffer(string: "\"io.nameindex"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(!channel.isActive && fired.value == 1, "10 s after the message began")
    }

    @Test func completeMessagesRestartTheClockAndIdleConnectionsStay() throws {
        let (channel, fired) = try channel()
        for _ in 0..<5 {
            try channel.writeInbound(ByteBuffer(bytes: Array("{}".utf8) + [0] + Array("{\"me".utf8)))
            channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        }
        try channel.writeInbound(ByteBuffer(bytes: Array("}".utf8) + [0]))
        channel.embeddedEventLoop.advanceTime(by: .hours(1))
        #expect(channel.isActive && fired.value == 0)
        var passed = 0
        while let _ = try channel.readInbound(as: ByteBuffer.self) { passed += 1 }
        #expect(passed == 6, "every read is passed on")
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }
}
