import Foundation
import NameIndexProtocol

/// Whether the next generation fits beside the serving one in the daemon's cgroup.
///
/// A reload builds the next generation while the serving one still serves, so for a while
/// both are in memory. Under `MemoryMax=` a load that does not fit is not an error the
/// daemon sees: the kernel's OOM killer ends it, serving generation and all. So before a
/// reload starts, the daemon estimates what it needs (the serving generation's size times
/// ``growth``, plus ``headroom``) and refuses to start one that its cgroup's `memory.max`,
/// less `memory.current`, does not leave room for. The serving generation keeps serving, and
/// the refusal is in Status and the journal. Without a limit (`max`), or outside a cgroup v2
/// hierarchy, every reload may start.
struct MemoryBudget: Sendable {
    /// The next generation is taken to be this much larger than the serving one.
    static let growth = 1.25
    /// And to need this much besides (buffers, batches, the snapshot write).
    static let headroom = 64 << 20

    /// Where cgroup v2 is mounted, and this process's `/proc/self/cgroup`; for tests.
    var cgroupRoot = "/sys/fs/cgroup"
    var procSelfCgroup = "/proc/self/cgroup"

    /// The cgroup's limit and use, in bytes; nil when there is no limit to respect.
    ///
    /// cgroup v2 (`0::PATH`: `memory.max`, `memory.current`), else the v1 memory controller
    /// (`N:memory:PATH`: `memory.limit_in_bytes`, `memory.usage_in_bytes`, where "no limit"
    /// is a number near 2^63).
    func limits() -> (maximum: Int, current: Int)? {
        guard let membership = try? String(contentsOfFile: procSelfCgroup, encoding: .utf8) else { return nil }
        let lines = membership.split(separator: "\n")
        func value(_ path: String) -> Int? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if let line = lines.first(where: { $0.hasPrefix("0::") }) {
            let directory = cgroupRoot + line.dropFirst(3)
            if let maximum = value(directory + "/memory.max"), let current = value(directory + "/memory.current") {
                return (maximum, current)
            }
        }
        if let line = lines.first(where: { $0.split(separator: ":", maxSplits: 2).dropFirst().first?.split(separator: ",").contains("memory") == true }) {
            let path = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).last.map(String.init) ?? "/"
            let directory = cgroupRoot + "/memory" + path
            if let maximum = value(directory + "/memory.limit_in_bytes"), let current = value(directory + "/memory.usage_in_bytes"),
                maximum < 1 << 60
            {
                return (maximum, current)
            }
        }
        return nil
    }

    /// Why a reload after a generation of `servingBytes` should not start, or nil when it may.
    func refusal(servingBytes: Int) -> String? {
        guard let (maximum, current) = limits() else { return nil }
        let needed = Int(Double(servingBytes) * Self.growth) + Self.headroom
        let left = maximum - current
        guard needed > left else { return nil }
        return "not enough memory to reload: the next generation needs an estimated \(HumanFormat.bytes(needed)) "
            + "beside the serving one, and memory.max (\(HumanFormat.bytes(maximum))) leaves \(HumanFormat.bytes(max(0, left)))"
    }
}
