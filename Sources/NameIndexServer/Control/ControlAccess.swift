#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore

/// Who may change the daemon's state (reload, cancel): root, the daemon's own user, and
/// members of `control_group`. Anyone who can open the socket may read (Lookup, Status,
/// ListNamespaces).
public struct ControlAccess: Sendable {
    /// The daemon's own uid.
    public var daemonUID: UInt32
    /// The gid of `control_group`, if one is set.
    public var controlGID: UInt32?
    /// The group's name, for messages.
    public var controlGroup: String?

    public init(daemonUID: UInt32 = getuid(), controlGID: UInt32? = nil, controlGroup: String? = nil) {
        self.daemonUID = daemonUID
        self.controlGID = controlGID
        self.controlGroup = controlGroup
    }

    /// Resolves `control_group` by name.
    ///
    /// - Throws: ``DaemonError`` when no such group exists.
    public static func resolving(group: String?) throws -> ControlAccess {
        guard let group else { return ControlAccess() }
        guard let entry = getgrnam(group) else {
            throw DaemonError(message: "control_group '\(group)' does not exist")
        }
        return ControlAccess(controlGID: entry.pointee.gr_gid, controlGroup: group)
    }

    /// Whether `peer` may reload or cancel. An unknown peer (no credentials) may not.
    public func mayControl(_ peer: PeerCredentials?) -> Bool {
        guard let peer else { return false }
        if peer.uid == 0 || peer.uid == daemonUID { return true }
        guard let gid = controlGID else { return false }
        if peer.gid == gid { return true }
        return Self.supplementaryGroups(pid: peer.pid, uid: peer.uid).contains(gid)
    }

    /// The peer process's groups, from /proc; else the groups its user belongs to.
    static func supplementaryGroups(pid: Int32, uid: UInt32) -> [UInt32] {
        if let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/status"),
            let data = try? handle.readToEnd()
        {
            try? handle.close()
            let text = String(decoding: data, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Groups:") }) {
                return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
            }
        }
        guard let user = getpwuid(uid) else { return [] }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user.pointee.pw_name, user.pointee.pw_gid, &groups, &count) < 0 { return [] }
        return Array(groups.prefix(Int(count)))
    }
}
