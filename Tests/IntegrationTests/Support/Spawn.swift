#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs `program` (as `user`, when given) and waits for it.
///
/// Not through Foundation's `Process`: it learns of a child's exit from a socket the child
/// inherits, so a server left running by the program (pg_ctl) or started meanwhile (socket
/// activation) could keep it waiting. This spawns with
/// every descriptor above stderr closed, and waits for the program alone.
func spawnAndWait(_ program: String, _ arguments: [String], as user: String? = nil) throws -> ProgramResult {
    var argv = [program] + arguments
    if let user {
        guard let entry = getpwnam(user) else { throw SpawnError(message: "no user '\(user)'") }
        argv = ["/usr/bin/setpriv", "--reuid=\(entry.pointee.pw_uid)", "--regid=\(entry.pointee.pw_gid)", "--init-groups", "--"] + argv
    }
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-spawn-\(UUID())").path
    defer {
        unlink(base + ".out")
        unlink(base + ".err")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    spawnActionCloseFrom(&actions, 3)
    // From "/", which every user may enter; the data directory's owner may not read the caller's.
    spawnActionChangeDirectory(&actions, "/")
    let environment = ["PATH=/usr/bin:/bin", "HOME=/", "LANG=C.UTF-8"]
    var pid: pid_t = 0
    let cArguments = argv.map { strdup($0) } + [nil]
    let cEnvironment = environment.map { strdup($0) } + [nil]
    defer { (cArguments + cEnvironment).forEach { free($0) } }
    let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
    guard spawned == 0 else { throw SpawnError(message: "cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    let exited = status & 0x7f == 0
    return ProgramResult(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: read(base + ".out"), stderr: read(base + ".err"))
}

/// Starts `program` with stdout and stderr appended to `log`, every other descriptor closed
/// (see ``spawnAndWait``), and returns its pid; the caller signals and reaps it.
func spawnDetached(_ program: String, _ arguments: [String], log: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    spawnActionCloseFrom(&actions, 3)
    var pid: pid_t = 0
    let argv = [program] + arguments
    let cArguments = argv.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    let spawned = posix_spawn(&pid, program, &actions, nil, cArguments, environ)
    guard spawned == 0 else { throw SpawnError(message: "cannot run \(program): \(String(cString: strerror(spawned)))") }
    return pid
}

/// Waits for `pid` to end; its exit status, or 128 + the signal that ended it.
func reap(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

struct SpawnError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

// glibc (2.34 and later) has these, but declares them only under _GNU_SOURCE, which Swift's Glibc module does not set.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
@discardableResult
private func spawnActionCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

@_silgen_name("posix_spawn_file_actions_addchdir_np")
@discardableResult
private func spawnActionChangeDirectory(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
