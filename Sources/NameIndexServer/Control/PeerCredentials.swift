#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore

/// Who is at the other end of a control connection, from `SO_PEERCRED`.
///
/// Laid out as Linux's `struct ucred`, so the kernel fills it in directly.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// The credentials of the peer of a connected Unix socket channel; nil when the channel has none.
    static func of(_ channel: any Channel) async -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: .socket, name: NIOBSDSocket.Option(rawValue: 17 /* SO_PEERCRED */))
        return try? await future.get()
    }
}
