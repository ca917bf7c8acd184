import NIOCore
import NIOEmbedded
import NameIndexCore
import NameIndexProtocol
import Testing

@testable import NameIndexServer

/// The lookup connection handler in an EmbeddedChannel: requests split anyhow, pipelined,
/// answered in order; errors; RESP3; counters.
@Suite struct RESPConnectionHandlerTests {
    let store: Store
    let counters = LookupCounters()

    init() throws {
        let users = KeyTableBuilder()
        try users.insert(key: "42", name: "Zoë Martin")
        try users.insert(key: "7", name: "Ada")
        let more = KeyTableBuilder()
        try more.insert(key: "42", name: "hidden")
        try more.insert(key: "x-1", name: "Grace")
        var index = IndexBuilder(generation: 3, createdAtMicroseconds: 0)
        index.add(source: "users", namespace: "user", table: users.build())
        index.add(source: "more", namespace: "user", table: more.build())
        store = Store(index: index.build())
    }

    func channel() throws -> EmbeddedChannel {
        let state = LookupServerState(counters: counters, maximumConnections: 10)
        let channel = EmbeddedChannel(handler: RESPConnectionHandler(store: store, server: state, parser: RESPRequestParser()))
        try channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/x")).wait()
        return channel
    }

    /// Everything the handler wrote, as text.
    func output(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    func exchange(_ requests: [String]) throws -> String {
        let channel = try channel()
        for request in requests {
            try channel.writeInbound(ByteBuffer(string: request))
        }
        return try output(channel)
    }

    @Test func aRequestSplitAtEveryByteGetsOneAnswer() throws {
        let request = "*3\r\n$4\r\nHGET\r\n$4\r\nuser\r\n$2\r\n42\r\n"
        let utf8 = Array(request.utf8)
        for split in 0...utf8.count {
            let channel = try channel()
            try channel.writeInbound(ByteBuffer(bytes: utf8[0..<split]))
            try channel.writeInbound(ByteBuffer(bytes: utf8[split...]))
            #expect(try output(channel) == "$11\r\nZoë Martin\r\n", "split at \(split)")
        }
        // And one byte per read.
        #expect(try exchange(utf8.map { String(decoding: [$0], as: UTF8.self) }) == "$11\r\nZoë Martin\r\n")
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let reply = try exchange([
            "PING\r\n*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\n*4\r\n$5\r\nHMGET\r\n$4\r\nuser\r\n$2\r\n42\r\n$3\r\nx-1\r\n",
            "HEXISTS user 7\r\nHLEN user\r\nHSTRLEN user 42\r\nTYPE user\r\nEXISTS user nope user\r\nHGET nope 1\r\n",
        ])
        #expect(reply == "+PONG\r\n$3\r\na\r\n\r\n*2\r\n$11\r\nZoë Martin\r\n$5\r\nGrace\r\n:1\r\n:3\r\n:11\r\n+hash\r\n:2\r\n$-1\r\n")
    }

    /// Pipelined HGETs are answered together; the replies keep the order of the requests,
    /// across namespaces, other commands, more HGETs than a batch holds, and a framing error.
    @Test func pipelinedHGETsKeepTheirOrder() throws {
        var requests = ""
        var expected = ""
        for i in 0..<70 {
            switch i % 5 {
            case 0:
                requests += "HGET user 42\r\n"
                expected += "$11\r\nZoë Martin\r\n"
            case 1:
                requests += "*3\r\n$4\r\nhget\r\n$4\r\nuser\r\n$3\r\nx-1\r\n"
                expected += "$5\r\nGrace\r\n"
            case 2:
                requests += "HGET nowhere 42\r\n"
                expected += "$-1\r\n"
            case 3:
                requests += i % 3 == 0 ? "PING\r\n" : "HGET user missing\r\n"
                expected += i % 3 == 0 ? "+PONG\r\n" : "$-1\r\n"
            default:
                requests += "HGET user 7\r\n"
                expected += "$3\r\nAda\r\n"
            }
        }
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: requests + "HGET user 7\r\n*1\r\n:1\r\n"))
        #expect(try output(channel) == expected + "$3\r\nAda\r\n-ERR Protocol error: expected '$', got ':'\r\n")
        #expect(!channel.isActive)
        // 70 requests: 14 of 42, 14 of x-1, 14 of 7, 1 more 7, and the 14 HGETs of "missing"
        // minus those that were PINGs; "nowhere" counts nothing.
        let missing = (0..<70).filter { $0 % 5 == 3 && $0 % 3 != 0 }.count
        #expect(counters.snapshot()["user"] == LookupCounters.Counts(lookups: 43 + missing, hits: 43))
    }

    @Test func theFirstSourceWinsAndShadowedKeysAreNotScannedTwice() throws {
        let reply = try exchange(["HGET user 42\r\n", "HSCAN user 0 COUNT 100\r\n"])
        #expect(reply.hasPrefix("$11\r\nZoë Martin\r\n*2\r\n$1\r\n0\r\n*6\r\n"), "\(reply)")
        #expect(!reply.contains("hidden"))
        #expect(reply.contains("$3\r\nx-1\r\n$5\r\nGrace\r\n"))
    }

    /// Every key once over a scan of one generation; a cursor from an older generation
    /// starts over, so a scan across a reload still sees every key.
    @Test func hscanCursorsWithinAndAcrossGenerations() throws {
        let channel = try channel()
        func scan(_ cursor: String) throws -> (next: String, keys: [String]) {
            try channel.writeInbound(ByteBuffer(string: "HSCAN user \(cursor) COUNT 1 NOVALUES\r\n"))
            let lines = try output(channel).split(separator: "\r\n").map(String.init)
            // *2, $n, cursor, *k, then $n key pairs
            let keys = stride(from: 5, to: lines.count, by: 2).map { lines[$0] }
            return (lines[2], keys)
        }
        var seen: [String] = []
        var cursor = "0"
        repeat {
            let step = try scan(cursor)
            seen += step.keys
            cursor = step.next
        } while cursor != "0"
        #expect(seen.sorted() == ["42", "7", "x-1"])

        // Start a scan, then a new generation serves: the old cursor restarts in the new one.
        let first = try scan("0")
        let builder = KeyTableBuilder()
        try builder.insert(key: "new", name: "Newcomer")
        var index = IndexBuilder(generation: 4, createdAtMicroseconds: 0)
        index.add(source: "users", namespace: "user", table: builder.build())
        store.swap(index.build())
        var after: [String] = []
        cursor = first.next
        while cursor != "0" {
            let step = try scan(cursor)
            after += step.keys
            cursor = step.next
        }
        #expect(after == ["new"])
    }

    @Test func hscanCountIsCapped() throws {
        let builder = KeyTableBuilder()
        for i in 0..<150_000 { try builder.insert(key: "\(i)", name: "n") }
        var index = IndexBuilder(generation: 9, createdAtMicroseconds: 0)
        index.add(source: "big", namespace: "big", table: builder.build())
        store.swap(index.build())
        let reply = try exchange(["HSCAN big 0 COUNT 1000000000 NOVALUES\r\n"])
        let header = reply.split(separator: "\r\n").prefix(4).map(String.init)
        #expect(header[2] != "0", "the scan is not over after one call")
        let returned = Int(header[3].dropFirst()) ?? 0
        #expect(returned >= RESPCommands.maximumScanCount && returned < RESPCommands.maximumScanCount + 1000, "\(returned)")
    }

    @Test func resp3AfterHello() throws {
        let reply = try exchange(["HELLO 3\r\n", "HGET user nope\r\nHMGET user 7 nope\r\nCONFIG GET save\r\n"])
        #expect(reply.hasPrefix("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"))
        #expect(reply.hasSuffix("_\r\n*2\r\n$3\r\nAda\r\n_\r\n%1\r\n$4\r\nsave\r\n$0\r\n\r\n"), "\(reply)")
        #expect(try exchange(["HELLO 4\r\n"]) == "-NOPROTO unsupported protocol version\r\n")
    }

    @Test func errorsKeepTheConnectionAndFramingErrorsCloseIt() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "DEL user\r\nFLUSHALL\r\nNOPE a b c d\r\nHGET user\r\nSELECT 1\r\nPING\r\n"))
        #expect(try output(channel) == """
            -READONLY You can't write against a read only replica.\r
            -READONLY You can't write against a read only replica.\r
            -ERR unknown command 'NOPE', with args beginning with: 'a' 'b' 'c'\r
            -ERR wrong number of arguments for 'hget' command\r
            -ERR DB index is out of range\r
            +PONG\r

            """)
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "*1\r\n*1\r\n"))
        #expect(try output(channel) == "-ERR Protocol error: expected '$', got '*'\r\n")
        #expect(!channel.isActive)
    }

    @Test func quitRepliesThenCloses() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "QUIT\r\nPING\r\n"))
        #expect(try output(channel) == "+OK\r\n")
        #expect(!channel.isActive)
    }

    @Test func lookupsAreCountedPerNamespace() throws {
        _ = try exchange(["HGET user 42\r\nHMGET user 7 nope x-1\r\nHEXISTS user 9\r\nHGET team 1\r\n"])
        #expect(counters.snapshot() == ["user": LookupCounters.Counts(lookups: 5, hits: 3)])
    }
}
