import NIOCore
import NIOEmbedded
import NameIndexCore
import NameIndexProtocol
import Testing

@testable import NameIndexServer

/// HSCAN against cursors and patterns a hostile client makes up: every cursor gets a reply
/// or `-ERR invalid cursor`, and one call's work is bounded by buckets visited.
@Suite struct HSCANBoundsTests {
    let store: Store

    init() throws {
        let small = KeyTableBuilder()
        for i in 0..<50 { try small.insert(key: String(repeating: "a", count: 60) + "\(i)", name: "n\(i)") }
        let big = KeyTableBuilder()
        for i in 0..<20_000 { try big.insert(key: "k\(i)", name: "n") }
        var index = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        index.add(source: "small", namespace: "x", table: small.build())
        index.add(source: "big", namespace: "big", table: big.build())
        store = Store(index: index.build())
    }

    func exchange(_ request: String) throws -> String {
        let state = LookupServerState(counters: LookupCounters(), maximumConnections: 10)
        let channel = EmbeddedChannel(handler: RESPConnectionHandler(store: store, server: state, parser: RESPRequestParser()))
        try channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/x")).wait()
        try channel.writeInbound(ByteBuffer(string: request))
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        #expect(channel.isActive, "the connection stays open")
        return text
    }

    /// The generation tag (1) with a bucket and a table far out of range: the crash of issue 12.
    @Test(arguments: [
        "281479271677951",  // tag 1, table 0, bucket 0xFFFFFFFF
        "281479271677952",  // tag 1, table 1 (x has one table)
        "562945658454016",  // tag 1, table 0xFFFF
        "18446744073709551615",  // every bit
    ])
    func madeUpCursorsAreRefusedOrRestart(cursor: String) throws {
        let reply = try exchange("HSCAN x \(cursor)\r\nPING\r\n")
        let tag = (UInt64(cursor)! >> 48) == 1
        if tag {
            #expect(reply == "-ERR invalid cursor\r\n+PONG\r\n")
        } else {
            #expect(reply.hasPrefix("*2\r\n"), "a cursor of another generation starts over: \(reply)")
        }
    }

    /// A cursor taken from a big namespace, used on a small one.
    @Test func aCursorFromABiggerNamespaceIsRefused() throws {
        let first = try exchange("HSCAN big 0 COUNT 5000 NOVALUES\r\n")
        let cursor = first.split(separator: "\r\n")[2]
        #expect(cursor != "0")
        #expect(try exchange("HSCAN x \(cursor)\r\n") == "-ERR invalid cursor\r\n")
        #expect(try exchange("HSCAN x abc\r\n") == "-ERR invalid cursor\r\n")
        #expect(try exchange("HSCAN x -1\r\n") == "-ERR invalid cursor\r\n")
    }

    /// Every cursor that names a valid position gets a reply, none traps.
    @Test func everyBucketOfTheFirstTableIsAValidCursor() throws {
        let index = try #require(store.current)
        let slot = try #require(Array("x".utf8).withUnsafeBytes { index.namespaceSlot($0) })
        let table = index.layers(slot: slot)[0].base
        for bucket in [0, 1, table.bucketTotal - 1, table.bucketTotal, table.bucketTotal + 1] {
            let cursor = (UInt64(1) << 48) | UInt64(bucket)
            let reply = try exchange("HSCAN x \(cursor)\r\n")
            if bucket < table.bucketTotal {
                #expect(reply.hasPrefix("*2\r\n"), "bucket \(bucket): \(reply)")
            } else {
                #expect(reply == "-ERR invalid cursor\r\n", "bucket \(bucket)")
            }
        }
    }

    /// A MATCH that matches nothing returns after COUNT × 10 buckets with a cursor to go on
    /// from, not after the whole namespace; followed to the end it returns nothing.
    @Test func aMatchWithNoMatchReturnsPromptlyWithACursor() throws {
        let reply = try exchange("HSCAN big 0 MATCH nothing COUNT 2\r\n")
        let lines = reply.split(separator: "\r\n")
        #expect(lines[2] != "0", "20 buckets do not hold 20,000 keys")
        #expect(lines[3] == "*0")
        var cursor = "0"
        var calls = 0
        repeat {
            let lines = try exchange("HSCAN big \(cursor) MATCH nothing COUNT 100\r\n").split(separator: "\r\n")
            #expect(lines[3] == "*0")
            cursor = String(lines[2])
            calls += 1
        } while cursor != "0" && calls < 100_000
        #expect(cursor == "0" && calls > 1, "\(calls) calls")
    }

    /// The pattern of Redis CVE-2022-36021 over 50 keys of 60 `a`s: answered, and the next
    /// request on the connection too.
    @Test func anExponentialPatternIsAnsweredAtOnce() throws {
        let pattern = String(repeating: "*a", count: 11) + "*b"
        #expect(try exchange("HSCAN x 0 MATCH \(pattern) COUNT 10\r\nPING\r\n").hasSuffix("*0\r\n+PONG\r\n"))
        let long = String(repeating: "*", count: RESPCommands.maximumPatternBytes + 1)
        #expect(try exchange("HSCAN x 0 MATCH \(long)\r\n") == "-ERR MATCH pattern is longer than 1024 bytes\r\n")
    }
}
