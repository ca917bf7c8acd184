import Foundation
import NameIndexProtocol

/// Where the daemon finds its configuration and puts its sockets and state,
/// when neither the command line nor the configuration says.
///
/// - Under systemd, `$CONFIGURATION_DIRECTORY`, `$RUNTIME_DIRECTORY` and
///   `$STATE_DIRECTORY` (set by `ConfigurationDirectory=` and friends) win.
/// - As root: `/etc/nameindexd`, `/run/nameindexd`, `/var/lib/nameindexd`.
/// - As another user: no default configuration (the demo is served instead),
///   `$XDG_RUNTIME_DIR/nameindexd` (or `/tmp/nameindexd-$UID`) and
///   `$XDG_STATE_HOME/nameindexd` (or `~/.local/state/nameindexd`).
public struct DaemonPaths: Sendable, Equatable {
    /// The main configuration file, or nil when this user has no default one.
    public var configurationFile: String?
    public var runtimeDirectory: String
    public var stateDirectory: String

    public static let systemConfigurationFile = "/etc/nameindexd/nameindexd.toml"
    public static let systemRuntimeDirectory = RuntimePaths.systemRuntimeDirectory
    public static let systemStateDirectory = "/var/lib/nameindexd"

    /// The defaults for a process with `uid` and `environment`.
    public static func defaults(uid: UInt32, environment: [String: String]) -> DaemonPaths {
        func systemd(_ name: String) -> String? {
            // systemd joins several directories with ':'; ours is the first.
            environment[name].flatMap { $0.split(separator: ":").first.map(String.init) }
        }
        let configuration = systemd("CONFIGURATION_DIRECTORY").map { "\($0)/nameindexd.toml" }
        if uid == 0 {
            return DaemonPaths(
                configurationFile: configuration ?? systemConfigurationFile,
                runtimeDirectory: systemd("RUNTIME_DIRECTORY") ?? systemRuntimeDirectory,
                stateDirectory: systemd("STATE_DIRECTORY") ?? systemStateDirectory)
        }
        let runtime =
            systemd("RUNTIME_DIRECTORY") ?? RuntimePaths.userRuntimeDirectory(uid: uid, environment: environment)
        let state =
            systemd("STATE_DIRECTORY")
            ?? absolute(environment["XDG_STATE_HOME"]).map { "\($0)/nameindexd" }
            ?? absolute(environment["HOME"]).map { "\($0)/.local/state/nameindexd" }
            ?? "/tmp/nameindexd-\(uid)/state"
        return DaemonPaths(configurationFile: configuration, runtimeDirectory: runtime, stateDirectory: state)
    }

    private static func absolute(_ path: String?) -> String? {
        guard let path, path.hasPrefix("/") else { return nil }
        return path
    }

    /// The control socket's path in `runtimeDirectory`.
    public static func controlSocket(in runtimeDirectory: String) -> String {
        RuntimePaths.controlSocket(in: runtimeDirectory)
    }

    /// The demo configuration shipped with nameindexd, found relative to the executable.
    ///
    /// Looks for `share/nameindexd/demo/nameindexd.toml` beside an installed
    /// binary's `bin/`, then for `examples/demo/nameindexd.toml` in the
    /// directories above the executable (a build in a source tree).
    public static func demoConfigurationFile(executable: String) -> String? {
        let fileManager = FileManager.default
        var directory = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        let installed = directory.deletingLastPathComponent().appendingPathComponent("share/nameindexd/demo/nameindexd.toml")
        if fileManager.fileExists(atPath: installed.path) { return installed.path }
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent("examples/demo/nameindexd.toml")
            if fileManager.fileExists(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}
