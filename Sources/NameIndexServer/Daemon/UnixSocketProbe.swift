#if canImport(Glibc)
import Glibc
#endif

/// Whether something accepts connections on a Unix socket path.
///
/// Used before binding: an existing socket file nobody listens on is a
/// leftover and may be replaced; one with a live listener belongs to another
/// daemon and must not be.
enum UnixSocketProbe {
    /// Throws when another daemon listens on `path`; a leftover file is fine (the bind replaces it).
    static func requireFree(_ path: String) throws {
        if isListening(path) {
            throw DaemonError(message: "Failed to listen on \(path): another nameindexd is already listening there")
        }
    }

    static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
