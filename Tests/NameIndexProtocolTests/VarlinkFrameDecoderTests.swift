import NIOCore
import NIOEmbedded
import NIOTestUtils
import NameIndexProtocol
import Testing

@Suite struct VarlinkFrameDecoderTests {
    static func frames(_ strings: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for s in strings {
            buffer.writeString(s)
            buffer.writeInteger(UInt8(0))
        }
        return buffer
    }

    @Test func passesTheNIODecoderVerifier() throws {
        let messages = [#"{"method":"a.b.C"}"#, "{}", #"{"parameters":{"names":["Zoë","王"]}}"#]
        let expected = messages.map { ByteBuffer(string: $0) }
        var input = Self.frames(messages)
        let inputs = [(input.readSlice(length: input.readableBytes)!, expected)]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: inputs) { VarlinkFrameDecoder() }
    }

    @Test func reassemblesAMessageSplitOverManyReads() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder()))
        let message = #"{"method":"io.nameindex.Index.Lookup","parameters":{"namespace":"user","keys":["42"]}}"#
        var whole = Self.frames([message])
        while whole.readableBytes > 0 {
            try channel.writeInbound(whole.readSlice(length: 1)!)
            if whole.readableBytes > 0 { #expect(try channel.readInbound(as: ByteBuffer.self) == nil) }
        }
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: message))
        #expect(try channel.finish().isClean)
    }

    @Test func splitsSeveralMessagesInOneRead() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder()))
        try channel.writeInbound(Self.frames(["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "{\"a\":1}"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "{\"b\":2}"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "{\"c\":3}"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        _ = try channel.finish()
    }

    @Test func rejectsAMessageOverTheLimitBeforeItsEnd() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder(maximumMessageSize: 16)))
        try channel.writeInbound(ByteBuffer(string: "0123456789"))
        #expect(throws: VarlinkFrameError.messageTooLarge(limit: 16)) {
            try channel.writeInbound(ByteBuffer(string: "0123456789"))
        }
        _ = try? channel.finish()
    }

    @Test func rejectsACompleteMessageOverTheLimit() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder(maximumMessageSize: 4)))
        #expect(throws: VarlinkFrameError.messageTooLarge(limit: 4)) {
            try channel.writeInbound(Self.frames(["12345"]))
        }
        _ = try? channel.finish()
    }

    @Test func acceptsAMessageExactlyAtTheLimit() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder(maximumMessageSize: 4)))
        try channel.writeInbound(Self.frames(["1234"]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "1234"))
        _ = try channel.finish()
    }

    @Test func dropsAnIncompleteMessageAtTheEndOfTheStream() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder()))
        try channel.writeInbound(ByteBuffer(string: "{\"a\":1}\0{\"incompl"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "{\"a\":1}"))
        _ = try channel.finish()
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
    }

    @Test func theEncoderEndsEachMessageWithNUL() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(VarlinkFrameEncoder()))
        try channel.writeOutbound(ByteBuffer(string: "{}"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0x7B, 0x7D, 0x00]))
        _ = try channel.finish()
    }
}
