#if canImport(Glibc)
import Glibc
#endif

/// The service manager's end of `sd_notify(3)`: an AF_UNIX datagram socket
/// that collects what a daemon reports.
///
/// For tests and benchmarks that play systemd's part: bind one, start the
/// daemon with `NOTIFY_SOCKET` set to ``path``, and read its messages.
public final class NotifySocketReceiver {
    public let path: String
    private let fd: Int32

    /// Binds a datagram socket at `path` (which must not exist).
    public init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemdError(operation: "socket", errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw SystemdError(operation: "bind \(path)", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw SystemdError(operation: "bind \(path)", errno: code)
        }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next message, or nil when none arrives within `timeout`.
    public func receive(timeout: Duration) -> String? {
        var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard Glibc.poll(&poll, 1, milliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    /// Messages until one satisfies `done` or `timeout` passes, in order.
    public func collect(timeout: Duration, until done: (String) -> Bool) -> [String] {
        var messages: [String] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = receive(timeout: .milliseconds(50)) else { continue }
            messages.append(message)
            if done(message) { break }
        }
        return messages
    }

    /// Whatever has arrived, waiting up to `timeout` for each next message.
    public func drain(timeout: Duration = .milliseconds(100)) -> [String] {
        var messages: [String] = []
        while let message = receive(timeout: timeout) { messages.append(message) }
        return messages
    }
}

/// A system call that failed, with its errno.
public struct SystemdError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var errno: Int32

    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
