import NIOCore

/// Splits a varlink byte stream into messages: JSON objects each ended by a NUL byte.
///
/// A message longer than ``maximumMessageSize`` is an error
/// (``VarlinkFrameError/messageTooLarge(limit:)``) as soon as that many bytes
/// arrive without a NUL, so a client cannot make the server buffer without
/// bound. Bytes after the last NUL when the stream ends are an incomplete
/// message and are dropped.
public struct VarlinkFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = ByteBuffer

    public let maximumMessageSize: Int
    /// How far into the readable bytes we have already looked for a NUL.
    private var scanned = 0

    public init(maximumMessageSize: Int = VarlinkFrameDecoder.defaultMaximumMessageSize) {
        self.maximumMessageSize = maximumMessageSize
    }

    /// 16 MiB: room for a lookup of some hundred thousand keys.
    public static let defaultMaximumMessageSize = 16 << 20

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while let frame = try nextFrame(&buffer) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }

    /// Takes one complete message off the front of `buffer`, without its NUL.
    mutating func nextFrame(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        let view = buffer.readableBytesView
        let from = view.index(view.startIndex, offsetBy: scanned)
        guard let nul = view[from...].firstIndex(of: 0) else {
            scanned = view.count
            if view.count > maximumMessageSize { throw VarlinkFrameError.messageTooLarge(limit: maximumMessageSize) }
            return nil
        }
        let length = view.distance(from: view.startIndex, to: nul)
        scanned = 0
        if length > maximumMessageSize { throw VarlinkFrameError.messageTooLarge(limit: maximumMessageSize) }
        let frame = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        return frame
    }
}

/// Appends the NUL that ends every varlink message.
public struct VarlinkFrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = ByteBuffer

    public init() {}

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        out.writeImmutableBuffer(data)
        out.writeInteger(UInt8(0))
    }
}

/// A framing error on a varlink connection.
public enum VarlinkFrameError: Error, Equatable, CustomStringConvertible {
    case messageTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .messageTooLarge(let limit): "message exceeds the limit of \(limit) bytes"
        }
    }
}
