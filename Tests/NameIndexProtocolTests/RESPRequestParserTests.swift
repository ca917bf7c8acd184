import NameIndexProtocol
import Testing

@Suite struct RESPRequestParserTests {
    /// Parses `text` as one buffer; the arguments as strings and the length, or the error.
    static func parse(_ text: [UInt8], parser: inout RESPRequestParser) throws -> (args: [String], length: Int)? {
        try text.withUnsafeBytes { bytes -> (args: [String], length: Int)? in
            switch try parser.parse(bytes) {
            case .incomplete: return nil
            case .request(let length):
                return (parser.arguments.map { String(decoding: bytes[$0], as: UTF8.self) }, length)
            }
        }
    }

    static func parse(_ text: String) throws -> (args: [String], length: Int)? {
        var parser = RESPRequestParser()
        return try parse(Array(text.utf8), parser: &parser)
    }

    static func multibulk(_ args: [String]) -> String {
        "*\(args.count)\r\n" + args.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    @Test func aMultibulkRequest() throws {
        let request = Self.multibulk(["HGET", "user", "42"])
        let parsed = try #require(try Self.parse(request))
        #expect(parsed.args == ["HGET", "user", "42"])
        #expect(parsed.length == request.utf8.count)
    }

    @Test func binaryAndEmptyArguments() throws {
        let request = "*3\r\n$4\r\nECHO\r\n$0\r\n\r\n$4\r\na\r\nb\r\n"
        let parsed = try #require(try Self.parse(request))
        #expect(parsed.args == ["ECHO", "", "a\r\nb"])
    }

    @Test func aRequestSplitAtEveryByte() throws {
        let request = Array((Self.multibulk(["HMGET", "user", "1", "22", "Zoë"]) + "*1\r\n$4\r\nPING\r\n").utf8)
        let first = Self.multibulk(["HMGET", "user", "1", "22", "Zoë"]).utf8.count
        for split in 0..<first {
            var parser = RESPRequestParser()
            #expect(try Self.parse(Array(request[0..<split]), parser: &parser) == nil, "split at \(split)")
            let parsed = try #require(try Self.parse(request, parser: &parser), "split at \(split)")
            #expect(parsed.args == ["HMGET", "user", "1", "22", "Zoë"], "split at \(split)")
            #expect(parsed.length == first)
        }
        // One more byte at a time, one parser throughout.
        var parser = RESPRequestParser()
        var results: [[String]] = []
        for end in 1...first {
            if let parsed = try Self.parse(Array(request[0..<end]), parser: &parser) {
                results.append(parsed.args)
                #expect(end == first)
            }
        }
        #expect(results == [["HMGET", "user", "1", "22", "Zoë"]])
        // The next request parses from its own first byte.
        let next = try #require(try Self.parse(Array(request[first...]), parser: &parser))
        #expect(next.args == ["PING"])
    }

    @Test func inlineRequests() throws {
        #expect(try Self.parse("PING\r\n")?.args == ["PING"])
        #expect(try Self.parse("HGET  user\t42\n")?.args == ["HGET", "user", "42"])
        #expect(try Self.parse("ECHO \"hello world\"\r\n")?.args == ["ECHO", "hello world"])
        #expect(try Self.parse("ECHO ''\r\n")?.args == ["ECHO", ""])
        #expect(try Self.parse("\r\n")?.args == [])
        #expect(try Self.parse("PING") == nil)
        #expect(try Self.parse("PING\r\n")?.length == 6)
        #expect(throws: RESPProtocolError("Protocol error: unbalanced quotes in request")) { try Self.parse("ECHO \"open\r\n") }
        #expect(throws: RESPProtocolError("Protocol error: unbalanced quotes in request")) { try Self.parse("ECHO \"a\"b\r\n") }
    }

    @Test func emptyMultibulkIsAnEmptyRequest() throws {
        #expect(try Self.parse("*0\r\n")?.args == [])
        #expect(try Self.parse("*-1\r\n")?.args == [])
        #expect(try Self.parse("*0\r\n")?.length == 4)
    }

    @Test func nestedArraysAreRefused() {
        #expect(throws: RESPProtocolError("Protocol error: expected '$', got '*'")) {
            try Self.parse("*2\r\n$4\r\nHGET\r\n*1\r\n$1\r\nx\r\n")
        }
        #expect(throws: RESPProtocolError("Protocol error: expected '$', got ':'")) { try Self.parse("*1\r\n:1\r\n") }
    }

    @Test func badLengths() {
        let invalidCount = RESPProtocolError("Protocol error: invalid multibulk length")
        let invalidBulk = RESPProtocolError("Protocol error: invalid bulk length")
        #expect(throws: invalidCount) { try Self.parse("*x\r\n") }
        #expect(throws: invalidCount) { try Self.parse("*\r\n") }
        #expect(throws: invalidCount) { try Self.parse("*99999999999999999999\r\n") }
        #expect(throws: invalidBulk) { try Self.parse("*1\r\n$-1\r\n") }
        #expect(throws: invalidBulk) { try Self.parse("*1\r\n$abc\r\n") }
        #expect(throws: invalidBulk) { try Self.parse("*1\r\n$1.5\r\n") }
        #expect(throws: RESPProtocolError("Protocol error: invalid bulk length")) { try Self.parse("*1\r\n$\r\n") }
        #expect(throws: RESPProtocolError("Protocol error: invalid multibulk count")) { try Self.parse("*1\rX") }
        #expect(throws: RESPProtocolError("Protocol error: expected CRLF after a bulk string")) { try Self.parse("*1\r\n$2\r\nabXY") }
    }

    @Test func hugeLengthsAreRefusedBeforeTheBytesArrive() {
        var parser = RESPRequestParser(maximumRequestBytes: 1000, maximumArguments: 10)
        #expect(throws: RESPProtocolError("Protocol error: invalid bulk length")) {
            try Self.parse(Array("*1\r\n$1001\r\n".utf8), parser: &parser)
        }
        parser = RESPRequestParser(maximumRequestBytes: 1000, maximumArguments: 10)
        #expect(throws: RESPProtocolError("Protocol error: invalid multibulk length")) {
            try Self.parse(Array("*11\r\n".utf8), parser: &parser)
        }
        parser = RESPRequestParser(maximumRequestBytes: 1000, maximumArguments: 10)
        #expect(throws: RESPProtocolError("Protocol error: request larger than 1000 bytes")) {
            try Self.parse(Array("*3\r\n$500\r\n".utf8) + [UInt8](repeating: 65, count: 500) + Array("\r\n$500\r\n".utf8), parser: &parser)
        }
        // A header line or inline request without an end is refused at 64 KiB.
        #expect(throws: RESPProtocolError("Protocol error: too big inline request")) {
            try Self.parse(String(repeating: "A", count: 70_000))
        }
        #expect(throws: RESPProtocolError("Protocol error: too big multibulk count string")) {
            try Self.parse("*" + String(repeating: "1", count: 70_000))
        }
    }
}
