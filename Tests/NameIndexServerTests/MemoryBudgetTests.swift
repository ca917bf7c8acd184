import Foundation
import Testing

@testable import NameIndexServer

/// The reload's memory check against cgroup files laid out as the kernel does (v2 and v1).
@Suite struct MemoryBudgetTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-cgroup-\(UUID().uuidString.prefix(8))").path

    func budget(membership: String, files: [String: String]) throws -> MemoryBudget {
        for (path, contents) in files {
            let url = URL(fileURLWithPath: root + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }
        try membership.write(toFile: root + "/self-cgroup", atomically: true, encoding: .utf8)
        return MemoryBudget(cgroupRoot: root, procSelfCgroup: root + "/self-cgroup")
    }

    @Test func cgroupV2LimitRefusesAReloadThatDoesNotFit() throws {
        let b = try budget(
            membership: "0::/system.slice/nameindexd.service\n",
            files: ["/system.slice/nameindexd.service/memory.max": "536870912\n", "/system.slice/nameindexd.service/memory.current": "300000000\n"])
        #expect(b.limits()! == (536_870_912, 300_000_000))
        // 100 MB serving: 125 MB + 64 MiB fits in the 237 MB left; 150 MB does not.
        #expect(b.refusal(servingBytes: 100_000_000) == nil)
        let refusal = try #require(b.refusal(servingBytes: 150_000_000))
        #expect(refusal.hasPrefix("not enough memory to reload: the next generation needs an estimated"), "\(refusal)")
        #expect(refusal.contains("memory.max"))
    }

    @Test func noLimitMeansEveryReloadMayStart() throws {
        let v2 = try budget(membership: "0::/x\n", files: ["/x/memory.max": "max\n", "/x/memory.current": "1\n"])
        #expect(v2.limits() == nil && v2.refusal(servingBytes: 1 << 40) == nil)
        let none = MemoryBudget(cgroupRoot: root, procSelfCgroup: root + "/missing")
        #expect(none.refusal(servingBytes: 1 << 40) == nil)
    }

    @Test func cgroupV1MemoryControllerIsReadToo() throws {
        let b = try budget(
            membership: "9:name=systemd:/\n4:memory:/box/a\n0::/\n",
            files: ["/memory/box/a/memory.limit_in_bytes": "104857600\n", "/memory/box/a/memory.usage_in_bytes": "10485760\n"])
        #expect(b.limits()! == (104_857_600, 10_485_760))
        #expect(b.refusal(servingBytes: 40_000_000) != nil)
        let unlimited = try budget(
            membership: "4:memory:/box/b\n",
            files: ["/memory/box/b/memory.limit_in_bytes": "9223372036854771712\n", "/memory/box/b/memory.usage_in_bytes": "1\n"])
        #expect(unlimited.limits() == nil)
    }
}
