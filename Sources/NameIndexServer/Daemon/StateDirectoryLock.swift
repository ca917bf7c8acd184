#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An exclusive lock on the state directory, held for the daemon's lifetime.
///
/// Two daemons on one state directory would write the same temporary snapshot file and
/// rename it over each other's; the second one refuses to start instead. The lock is an
/// `flock` on `DIRECTORY/lock`, so the kernel drops it when the process dies, however it
/// dies (no stale lock after `kill -9`). Once it holds the lock, the daemon knows any
/// `index.snapshot.tmp` is the remains of a write that never finished, and removes it.
final class StateDirectoryLock: Sendable {
    /// Why the lock could not be had: another daemon holds it (fatal), or the directory
    /// cannot be used at all (the daemon runs on, without snapshots; see ``DaemonError``).
    enum Refusal: Error, CustomStringConvertible {
        case held(DaemonError)
        case unavailable(DaemonError)

        var description: String {
            switch self {
            case .held(let error), .unavailable(let error): error.message
            }
        }
    }

    let path: String
    private let descriptor: Int32

    /// Creates the directory if needed, takes the lock and removes stale temporary files.
    ///
    /// - Throws: ``Refusal``: `held` when another process holds the lock, `unavailable` when
    ///   the directory cannot be made or the lock file opened.
    init(directory: String, snapshotPath: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw Refusal.unavailable(
                DaemonError(message: "Failed to create the state directory \(directory): \(error.localizedDescription)"))
        }
        path = directory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw Refusal.unavailable(DaemonError(message: "Failed to open \(path): \(String(cString: strerror(errno)))"))
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let held = errno == EWOULDBLOCK
            let reason = held ? "another nameindexd uses the state directory \(directory)" : String(cString: strerror(errno))
            var holder = ""
            if errno == EWOULDBLOCK, let text = try? String(contentsOfFile: path, encoding: .utf8),
                let pid = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                holder = " (pid \(pid))"
            }
            close(fd)
            let error = DaemonError(message: "Failed to lock \(path): \(reason)\(holder); give each daemon its own state_directory")
            throw held ? Refusal.held(error) : Refusal.unavailable(error)
        }
        // Whose lock it is, for the next one's message.
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = fd
        unlink(snapshotPath + ".tmp")
    }

    deinit { close(descriptor) }
}
