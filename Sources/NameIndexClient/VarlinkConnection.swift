#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOPosix
import NameIndexProtocol

/// One varlink connection to a Unix socket; calls go one after another.
///
/// Use it inside ``VarlinkConnection/withConnection(socketPath:_:)``, which
/// closes the connection when the body returns.
public final class VarlinkConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let allocator: ByteBufferAllocator
    private let socketPath: String

    private init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        allocator: ByteBufferAllocator, socketPath: String
    ) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.allocator = allocator
        self.socketPath = socketPath
    }

    /// Connects to `socketPath`, runs `body`, and closes the connection.
    ///
    /// - Throws: ``NameIndexClientError`` with ``NameIndexClientError/Code/connectFailed``
    ///   when nothing listens at `socketPath`, and whatever `body` throws.
    public static func withConnection<R>(
        socketPath: String, _ body: (VarlinkConnection) async throws -> R
    ) async throws -> R {
        var connected: NIOAsyncChannel<ByteBuffer, ByteBuffer>?
        // EAGAIN on a Unix socket's connect means its listen queue is full for the moment (a
        // flood of connections the daemon has not accepted yet): try again, for up to ~5 s.
        var attempt = 0
        while connected == nil {
            do {
                connected = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelOption(.allowRemoteHalfClosure, value: true)
                    .connect(unixDomainSocketPath: socketPath) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(VarlinkFrameDecoder()))
                            try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(VarlinkFrameEncoder()))
                            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
            } catch let error as IOError where error.errnoCode == EAGAIN && attempt < 50 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                throw NameIndexClientError(
                    code: .connectFailed,
                    message: "Failed to connect to nameindexd at \(socketPath): \(Self.reason(error)) (is nameindexd running?)")
            }
        }
        let channel = connected!
        return try await channel.executeThenClose { inbound, outbound in
            let connection = VarlinkConnection(
                inbound: inbound, outbound: outbound, allocator: channel.channel.allocator, socketPath: socketPath)
            return try await body(connection)
        }
    }

    /// Calls `method` and returns its single reply's parameters.
    ///
    /// - Throws: ``NameIndexClientError``; a varlink error reply is
    ///   ``NameIndexClientError/Code/remote`` with the reply attached.
    public func call<P: Codable & Sendable, R: Codable & Sendable>(
        _ method: String, parameters: P, returning: R.Type = R.self
    ) async throws -> R {
        try await send(method, parameters: parameters)
        let frame = try await nextFrame()
        return try decodeReply(frame, as: R.self)
    }

    /// Calls `method` with `more: true` and hands every reply to `body`, in
    /// order, until the one not marked `continues`.
    ///
    /// - Throws: as ``call(_:parameters:returning:)``; an error reply ends the stream.
    public func callMore<P: Codable & Sendable, R: Codable & Sendable>(
        _ method: String, parameters: P, returning: R.Type = R.self,
        _ body: (_ reply: R, _ continues: Bool) async throws -> Void
    ) async throws {
        try await send(method, parameters: parameters, more: true)
        while true {
            let frame = try await nextFrame()
            let parameters = try decodeReply(frame, as: R.self)
            let continues = (try? JSONDecoder().decode(VarlinkReply<JSONValue>.self, from: frame))?.continues ?? false
            try await body(parameters, continues)
            if !continues { return }
        }
    }

    /// Calls `method` and returns the raw reply frame (for passing JSON through).
    public func callRaw<P: Codable & Sendable>(_ method: String, parameters: P) async throws -> ByteBuffer {
        try await send(method, parameters: parameters)
        let frame = try await nextFrame()
        _ = try decodeReply(frame, as: JSONValue.self)
        return frame
    }

    private func send<P: Codable & Sendable>(_ method: String, parameters: P, more: Bool = false) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let buffer = try encoder.encodeAsByteBuffer(
            VarlinkCall(method: method, parameters: parameters, more: more ? true : nil), allocator: allocator)
        do {
            try await outbound.write(buffer)
        } catch {
            throw NameIndexClientError(code: .connectionClosed, message: "Failed to send to nameindexd at \(socketPath): \(error)")
        }
    }

    private func nextFrame() async throws -> ByteBuffer {
        do {
            guard let frame = try await inbound.next() else {
                throw NameIndexClientError(
                    code: .connectionClosed, message: "nameindexd at \(socketPath) closed the connection without replying")
            }
            return frame
        } catch let error as NameIndexClientError {
            throw error
        } catch {
            throw NameIndexClientError(code: .connectionClosed, message: "Failed to read from nameindexd at \(socketPath): \(error)")
        }
    }

    private func decodeReply<R: Codable & Sendable>(_ frame: ByteBuffer, as type: R.Type) throws -> R {
        let decoder = JSONDecoder()
        let envelope: VarlinkReply<JSONValue>
        do {
            envelope = try decoder.decode(VarlinkReply<JSONValue>.self, from: frame)
        } catch {
            throw NameIndexClientError(code: .invalidReply, message: "nameindexd sent a reply that is not valid JSON")
        }
        if let name = envelope.error {
            let remote = VarlinkErrorReply(name: name, parameters: envelope.parameters ?? .object([:]))
            throw NameIndexClientError(code: .remote, message: Self.describe(remote), remote: remote)
        }
        do {
            if let parameters = try decoder.decode(VarlinkReply<R>.self, from: frame).parameters { return parameters }
            return try decoder.decode(R.self, from: ByteBuffer(string: "{}"))
        } catch {
            throw NameIndexClientError(code: .invalidReply, message: "nameindexd sent an unexpected reply: \(error)")
        }
    }

    /// A plain sentence for an error reply.
    static func describe(_ reply: VarlinkErrorReply) -> String {
        switch IndexInterface.Failure(reply) {
        case .noSuchNamespace(let namespace)?: "No such namespace '\(namespace)'."
        case .reloadFailed(let reason, let generation, _)?: "Reload failed: \(reason). Generation \(generation) is serving."
        case .permissionDenied(let uid)?:
            "Permission denied: uid \(uid) may not reload or cancel; that needs root, the daemon's own user, or its control_group."
        case .invalidMessage(let reason)?: "nameindexd rejected the message: \(reason)."
        case .shuttingDown?: "nameindexd is shutting down."
        case .noSuchSource(let source)?: "No source named '\(source)'."
        case .reloadCancelled(let generation)?: "Reload cancelled. Generation \(generation) is serving."
        case .limitExceeded("lookup_keys", let maximum)?: "Too many keys: one lookup takes at most \(maximum)."
        case .limitExceeded(let limit, let maximum)?: "nameindexd refused the call: limit \(limit) (\(maximum)) reached."
        case nil: "nameindexd answered with error \(reply.name) \(reply.parameters)"
        }
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }
}
