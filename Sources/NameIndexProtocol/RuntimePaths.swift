/// Where the daemon's sockets live, shared by nameindexd and its clients so
/// both sides agree without configuration.
public enum RuntimePaths {
    /// The system daemon's runtime directory.
    public static let systemRuntimeDirectory = "/run/nameindexd"

    /// A non-root user's own runtime directory: `$XDG_RUNTIME_DIR/nameindexd`,
    /// or `/tmp/nameindexd-$UID` when that variable is unset or relative.
    public static func userRuntimeDirectory(uid: UInt32, environment: [String: String]) -> String {
        if let base = environment["XDG_RUNTIME_DIR"], base.hasPrefix("/") { return "\(base)/nameindexd" }
        return "/tmp/nameindexd-\(uid)"
    }

    /// The control socket in `runtimeDirectory`.
    public static func controlSocket(in runtimeDirectory: String) -> String { "\(runtimeDirectory)/control" }

    /// The lookup socket (Redis protocol) in `runtimeDirectory`.
    public static func lookupSocket(in runtimeDirectory: String) -> String { "\(runtimeDirectory)/lookup" }
}
