#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix

/// Where a server listens: a socket systemd passed (socket activation), or a path the
/// daemon binds itself. The control and lookup servers both open theirs through it.
struct ListeningSocket: Sendable {
    /// The socket's name in the journal ("control", "lookup").
    let name: String
    let path: String
    /// A listening socket passed by systemd (`FileDescriptorName=`); nil: bind `path`.
    var adoptedDescriptor: Int32?
    /// Mode of a socket file the daemon binds: anyone may connect.
    var mode: mode_t = 0o666

    /// Whether the daemon made the socket file (and so removes it): the socket unit owns an
    /// adopted socket's file.
    var ownsFile: Bool { adoptedDescriptor == nil }

    /// The options both servers listen with: a long listen queue, and many connections
    /// accepted per wake-up, so that a flood drains quickly.
    static func bootstrap(group: any EventLoopGroup) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
    }

    /// Adopts the passed socket with `adopt`, or checks that no other daemon answers on
    /// `path` and binds it with `bind` (replacing a stale file) and sets its mode; then says
    /// where it listens (`speaks`: the protocol, for the journal).
    func open<Server>(
        speaks: String, logger: Logger, adopt: (Int32) async throws -> Server, bind: (String) async throws -> Server
    ) async throws -> Server {
        if let adoptedDescriptor {
            let server = try await adopt(adoptedDescriptor)
            logger.info("Listening on the \(name) socket passed by systemd (\(path); \(speaks)).")
            return server
        }
        try UnixSocketProbe.requireFree(path)
        let server = try await bind(path)
        chmod(path, mode)
        logger.info("Listening on \(path) (\(speaks)).")
        return server
    }

    /// Removes the socket file if the daemon made it.
    func removeFile() {
        if ownsFile { unlink(path) }
    }
}
