#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A private systemd booted as PID 1 of new PID, mount, UTS, IPC, network and cgroup
/// namespaces, with only the units the test gives it (needs root).
///
/// The box sees the host's file system except for a private /run, private overlays over /etc
/// and /var (so configuration, `StateDirectory=` and the journal stay in the box), a read-only
/// /proc/sys, and `stage` bind-mounted at /opt/nameindex. `run` executes a program inside it
/// through nsenter: `systemctl`, `journalctl`, `namectl`.
final class SystemdBox {
    /// Where an installed tree appears inside the box (`make install PREFIX=/opt/nameindex`).
    static let prefix = "/opt/nameindex"

    let work: URL
    let units: URL
    /// The host's pid of the box's systemd.
    private(set) var pid: pid_t = 0
    private var launcher: pid_t = 0
    private let cgroup: String

    /// Creates the work directory with a unit directory of stub targets, the units `exit` and
    /// a private journald need, and `box.target` to boot into. Add units to `units`, then `boot`.
    init() throws {
        guard getuid() == 0 else { throw SpawnError(message: "a systemd box needs root") }
        work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("nameindex-box-\(UUID().uuidString.prefix(8))")
        units = work.appendingPathComponent("units")
        try FileManager.default.createDirectory(at: units, withIntermediateDirectories: true)
        chmod(work.path, 0o755)
        cgroup = try Self.cgroupBase() + "/nameindex-box-\(getpid())-\(UUID().uuidString.prefix(8))"
        for target in ["sysinit", "basic", "sockets", "paths", "timers", "slices", "local-fs", "network", "network-online", "multi-user"] {
            try write(unit: "\(target).target", "[Unit]\nDescription=stub \(target).target\n")
        }
        try write(unit: "shutdown.target", "[Unit]\nDescription=stub shutdown.target\nDefaultDependencies=no\nRefuseManualStart=yes\n")
        for name in [
            "exit.target", "systemd-exit.service", "halt.target", "systemd-halt.service", "poweroff.target",
            "systemd-poweroff.service", "final.target", "umount.target", "systemd-journald.service", "systemd-journald.socket",
        ] {
            try FileManager.default.copyItem(atPath: "/lib/systemd/system/\(name)", toPath: units.appendingPathComponent(name).path)
        }
        try write(unit: "box.target", """
            [Unit]
            Description=test boot target
            Requires=basic.target
            After=basic.target
            Wants=systemd-journald.socket systemd-journald.service
            AllowIsolate=yes

            """)
    }

    func write(unit name: String, _ contents: String) throws {
        let url = units.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Boots systemd with `stage` at /opt/nameindex; returns once `systemctl` can talk to it.
    func boot(stage: URL) throws {
        try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: false)
        let initScript = Products.packageRoot.appendingPathComponent("Tests/IntegrationTests/Scripts/systemd-box-init.sh").path
        // Enter the box's own cgroup first, so that unshare --cgroup roots the box's tree there.
        let command = "echo $$ > '\(cgroup)/cgroup.procs' && exec unshare --pid --fork --mount --mount-proc --uts --ipc --net --cgroup --propagation private /bin/sh '\(initScript)' '\(work.path)' '\(stage.path)'"
        launcher = try spawnDetached("/usr/bin/setsid", ["/bin/sh", "-c", command], log: work.appendingPathComponent("boot.log").path)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            // setsid and sh exec; unshare forks the namespace's PID 1, which execs systemd.
            if let child = Self.firstChild(of: launcher),
                (try? String(contentsOfFile: "/proc/\(child)/comm", encoding: .utf8))?.hasPrefix("systemd") == true
            {
                pid = child
                if (try? run(["/usr/bin/test", "-S", "/run/systemd/private"]))?.status == 0 { return }
            }
            usleep(100_000)
        }
        throw SpawnError(message: "the box's systemd did not come up: \(bootLog)")
    }

    var bootLog: String {
        (try? String(contentsOf: work.appendingPathComponent("boot.log"), encoding: .utf8)) ?? ""
    }

    /// Runs `arguments` inside the box (at most `timeout` seconds).
    @discardableResult
    func run(_ arguments: [String], timeout: Int = 60) throws -> ProgramResult {
        try spawnAndWait(
            "/usr/bin/timeout",
            ["\(timeout)", "/usr/bin/nsenter", "-t", "\(pid)", "-m", "-p", "-u", "-i", "-n", "-C", "--"] + arguments)
    }

    func systemctl(_ arguments: String...) throws -> ProgramResult {
        try run(["/bin/systemctl", "--no-pager"] + arguments)
    }

    /// One property of a unit (`systemctl show -p NAME --value`).
    func property(_ name: String, of unit: String) throws -> String {
        try run(["/bin/systemctl", "show", "-p", name, "--value", unit]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func journal(_ arguments: String...) throws -> ProgramResult {
        try run(["/bin/journalctl", "--no-pager"] + arguments)
    }

    /// Polls `condition` every 100 ms for up to `seconds`; whether it became true.
    func wait(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try condition() { return true }
            usleep(100_000)
        } while Date() < deadline
        return false
    }

    /// `systemctl exit`, SIGKILL to the box's PID 1 if it lingers (which ends the namespace),
    /// then removes the cgroup and the work directory.
    func tearDown() {
        if pid != 0 {
            _ = try? run(["/bin/systemctl", "exit", "0"], timeout: 5)
            for _ in 0..<50 where kill(pid, 0) == 0 { usleep(100_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        if launcher != 0 { _ = reap(launcher) }
        Self.removeTree(cgroup)
        try? FileManager.default.removeItem(at: work)
    }

    private static func cgroupBase() throws -> String {
        for candidate in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
            // Only a cgroup2 mount has cgroup.controllers at its root.
            if FileManager.default.fileExists(atPath: "\(candidate)/cgroup.controllers") { return candidate }
        }
        throw SpawnError(message: "no cgroup2 hierarchy")
    }

    private static func firstChild(of pid: pid_t) -> pid_t? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        for task in tasks {
            if let children = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8),
                let first = children.split(separator: " ").first, let child = pid_t(first)
            {
                return child
            }
        }
        return nil
    }

    /// Removes a cgroup directory and its children, deepest first (rmdir is the only way).
    private static func removeTree(_ path: String) {
        guard let children = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for child in children {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(path)/\(child)", isDirectory: &isDirectory), isDirectory.boolValue {
                removeTree("\(path)/\(child)")
            }
        }
        rmdir(path)
    }
}
