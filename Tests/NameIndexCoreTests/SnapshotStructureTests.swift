import Foundation
@testable import NameIndexCore
import Testing

/// Files crafted with valid checksums: each is refused with `SnapshotError`, never read out
/// of bounds and never looped on.
@Suite struct SnapshotStructureTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-forged-\(UUID().uuidString.prefix(8)).snapshot").path

    /// The sample's bytes, where its first section (integer keys) and its buckets are.
    func sample() throws -> (bytes: [UInt8], section: Int, buckets: Int, arena: Int) {
        try SnapshotFile.write(try SnapshotFileTests.sampleIndex(), fingerprint: 7, to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u64(_ o: Int) -> Int { bytes[o..<o + 8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } }
        let section = u64(64)
        let buckets = u64(section + 8)
        return (bytes, section, buckets, section + 64 + buckets * 64)
    }

    func forged(_ bytes: [UInt8]) throws -> SnapshotError? {
        var bytes = bytes
        bytes.withUnsafeMutableBytes { SnapshotFile.recomputeChecksums($0) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try SnapshotFile.read(path: path, fingerprint: 7)
            return nil
        } catch let error as SnapshotError {
            return error
        }
    }

    @Test func theUnchangedFileWithRecomputedChecksumsLoads() throws {
        #expect(try forged(try sample().bytes) == nil)
    }

    @Test func aBucketFillerThanTwelveIsRefused() throws {
        var (bytes, section, _, _) = try sample()
        bytes[section + 64 + 12] = 13
        #expect(try forged(bytes)?.code == .malformed)
    }

    @Test func aSlotOffsetOutsideTheArenaIsRefused() throws {
        var (bytes, section, _, _) = try sample()
        let first = section + 64
        // The first bucket with a used slot: point its first offset far away.
        var b = first
        while bytes[b + 12] == 0 { b += 64 }
        for i in 0..<4 { bytes[b + 16 + i] = 0xFF }
        #expect(try forged(bytes)?.code == .malformed)
    }

    @Test func aVarintThatRunsOffTheArenaIsRefused() throws {
        var (bytes, _, _, arena) = try sample()
        // Every arena byte with its continuation bit set: no varint ends.
        var end = arena
        while end < bytes.count && end < arena + 200_000 { bytes[end] |= 0x80; end += 1 }
        #expect(try forged(bytes)?.code == .malformed)
    }

    @Test func aTableWithEveryBucketFullIsRefused() throws {
        var (bytes, section, buckets, _) = try sample()
        for b in 0..<buckets {
            let bucket = section + 64 + b * 64
            bytes[bucket + 12] = 12
            for slot in 0..<12 where bytes[bucket + slot] == 0 { bytes[bucket + slot] = 1 }
        }
        #expect(try forged(bytes)?.code == .malformed)
    }

    @Test func countsThatDisagreeWithTheEntriesAreRefused() throws {
        var (bytes, section, _, _) = try sample()
        bytes[section + 24] &+= 1  // count
        #expect(try forged(bytes)?.code == .malformed)
        var (again, s2, _, _) = try sample()
        for i in 0..<8 { again[s2 + 48 + i] = 0xFF }  // duplicates: past Int.max
        #expect(try forged(again)?.code == .malformed)
        var (third, s3, _, _) = try sample()
        for i in 0..<8 { third[s3 + 24 + i] = 0xFF }  // count: past Int.max
        #expect(try forged(third)?.code == .malformed)
    }
}
