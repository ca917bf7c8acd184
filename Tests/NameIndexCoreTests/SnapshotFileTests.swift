import Foundation
@testable import NameIndexCore
import Testing

@Suite struct SnapshotFileTests {
    let directory: URL
    var path: String { directory.appendingPathComponent("index.snapshot").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-snap-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Three sources: integer keys, text keys (one with leading zeros), a second source shadowing one key, an empty one.
    static func sampleIndex(generation: UInt64 = 41) throws -> Index {
        var builder = IndexBuilder(generation: generation, createdAtMicroseconds: 1_795_000_000_000_000)
        builder.add(source: "users", namespace: "user", table: try makeTable((0..<3000).map { ("\($0 * 3 - 1000)", "Zoë \($0) 🌍") }))
        builder.add(source: "more-users", namespace: "user", table: try makeTable([("5", "shadowed"), ("999999", "Ana")]))
        builder.add(source: "products", namespace: "product", table: try makeTable([("P-0001234-x", "Crème brûlée torch"), ("007", "Bond")]))
        builder.add(source: "empty", namespace: "nothing", table: .empty())
        return builder.build()
    }

    func write(_ index: Index, fingerprint: UInt64 = 7) throws { try SnapshotFile.write(index, fingerprint: fingerprint, to: path) }

    @Test func roundTripsEveryKeyAndMiss() throws {
        let original = try Self.sampleIndex()
        try write(original)
        let loaded = try SnapshotFile.read(path: path, fingerprint: 7)
        #expect(loaded.generation == 41)
        #expect(loaded.createdAtMicroseconds == 1_795_000_000_000_000)
        #expect(loaded.namespaceSummaries == original.namespaceSummaries)
        #expect(loaded.sources.map(\.source) == ["users", "more-users", "products", "empty"])
        #expect(loaded.sources.map(\.shadowed) == [0, 1, 0, 0])
        #expect(loaded.sources.map(\.table.keyKind) == [.integer, .integer, .text, .text])
        for i in 0..<3000 {
            #expect(loaded.lookup(namespace: "user", keys: ["\(i * 3 - 1000)"]) == ["Zoë \(i) 🌍"])
        }
        #expect(loaded.lookup(namespace: "user", keys: ["5", "999999", "6", "-1001"]) == ["Zoë 335 🌍", "Ana", nil, nil])
        #expect(loaded.lookup(namespace: "product", keys: ["P-0001234-x", "007", "7"]) == ["Crème brûlée torch", "Bond", nil])
        #expect(loaded.lookup(namespace: "nothing", keys: ["1"]) == [nil])
        #expect(loaded.memoryBytes == original.memoryBytes)
        #expect(try SnapshotFile.metadata(path: path).fileBytes == (try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int))
    }

    @Test func leavesOnlyTheSnapshotBehindAndReplacesItAtomically() throws {
        try write(try Self.sampleIndex(generation: 1))
        try write(try Self.sampleIndex(generation: 2))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["index.snapshot"])
        #expect(try SnapshotFile.read(path: path, fingerprint: 7).generation == 2)
    }

    func expectRejected(_ code: SnapshotError.Code, fingerprint: UInt64 = 7, _ comment: Comment? = nil) {
        #expect(comment) {
            try SnapshotFile.read(path: path, fingerprint: fingerprint)
        } throws: { ($0 as? SnapshotError)?.code == code }
    }

    func mutate(_ change: (inout Data) -> Void) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        change(&data)
        try data.write(to: URL(fileURLWithPath: path))
    }

    @Test func aTruncatedFileIsRejected() throws {
        try write(try Self.sampleIndex())
        let size = try Data(contentsOf: URL(fileURLWithPath: path)).count
        for keep in [0, 10, 63, 200, size / 2, size - 1] {
            try write(try Self.sampleIndex())
            try mutate { $0 = $0.prefix(keep) }
            expectRejected(.wrongSize, "kept \(keep) bytes")
        }
    }

    @Test func aFlippedByteInAnySectionIsRejected() throws {
        let index = try Self.sampleIndex()
        try write(index)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        // Offsets of each section from the directory, and a byte in its header, buckets and arena.
        var positions: [Int] = []
        for i in 0..<index.sources.count {
            let entry = 64 + i * 64
            let offset = Int(data[entry..<entry + 8].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
            let length = Int(data[entry + 8..<entry + 16].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
            positions += [offset + 8, offset + 64, offset + length - 1]
        }
        for position in positions {
            try write(index)
            try mutate { $0[position] ^= 0x01 }
            #expect(throws: SnapshotError.self, "flipped byte \(position)") { try SnapshotFile.read(path: path, fingerprint: 7) }
        }
        // A flipped byte in the header or directory fails the header checksum.
        for position in [20, 70, 64 + 40] {
            try write(index)
            try mutate { $0[position] ^= 0x80 }
            expectRejected(.badChecksum, "header byte \(position)")
        }
    }

    @Test func aWrongMagicOrVersionIsRejected() throws {
        try write(try Self.sampleIndex())
        try mutate { $0[0] = UInt8(ascii: "X") }
        expectRejected(.badMagic)
        // Version 1 (before overlays: its directory entries had no role, watermark or flags)
        // and a version from the future.
        for version: UInt8 in [1, 3] {
            try write(try Self.sampleIndex())
            try mutate { $0[8] = version }
            expectRejected(.unsupportedVersion, "version \(version)")
        }
    }

    @Test func aSnapshotOfAnotherConfigurationIsRejected() throws {
        try write(try Self.sampleIndex(), fingerprint: 7)
        expectRejected(.configurationChanged, fingerprint: 8)
    }

    @Test func aMissingFileIsUnreadable() {
        expectRejected(.unreadable)
    }

    @Test func theLoadedIndexOutlivesTheFileAndItsReplacement() throws {
        try write(try Self.sampleIndex(generation: 1))
        let loaded = try SnapshotFile.read(path: path, fingerprint: 7)
        try write(try Self.sampleIndex(generation: 2))
        try FileManager.default.removeItem(atPath: path)
        #expect(loaded.lookup(namespace: "user", keys: ["-1000"]) == ["Zoë 0 🌍"])
    }
}

extension SnapshotFileTests {
    @Test func aFlippedByteAnywhereIsRejected() throws {
        // Every byte of a small snapshot, padding included, is covered by a check.
        var builder = IndexBuilder(generation: 3, createdAtMicroseconds: 9)
        builder.add(source: "a", namespace: "n", table: try makeTable([("1", "one"), ("x", "ex")]))
        builder.add(source: "b", namespace: "m", table: try makeTable([("2", "two")]))
        let index = builder.build()
        try write(index)
        let size = try Data(contentsOf: URL(fileURLWithPath: path)).count
        for position in 0..<size {
            try write(index)
            try mutate { $0[position] ^= 0x04 }
            #expect(throws: SnapshotError.self, "flipped byte \(position) of \(size)") {
                try SnapshotFile.read(path: path, fingerprint: 7)
            }
        }
    }
}

extension SnapshotFileTests {
    /// Whether this process has `path` mapped (from /proc/self/maps, read to its end:
    /// procfs files report size 0, and a read sized by that stops after one page).
    func isMapped(_ path: String) throws -> Bool {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps"))
        defer { try? handle.close() }
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self).contains(path)
    }

    /// The index is read into memory the daemon owns: truncating or rewriting the file while
    /// it serves (a full disk, a stray `cp`, another daemon) cannot SIGBUS a lookup. With the
    /// file mapped, the lookup after the truncation would have killed this process.
    @Test func aSnapshotTruncatedOrRewrittenWhileServingCannotTouchTheIndex() throws {
        try write(try Self.sampleIndex())
        let loaded = try SnapshotFile.read(path: path, fingerprint: 7)
        #expect(try !isMapped(path))
        let table = loaded.sources[0].table
        #expect(truncate(path, 0) == 0)
        #expect(table.name(forKey: "-1000") == "Zoë 0 🌍")
        try Data(repeating: 0xFF, count: 1 << 20).write(to: URL(fileURLWithPath: path))
        #expect(table.name(forKey: "-1000") == "Zoë 0 🌍")
        #expect(throws: SnapshotError.self) { try SnapshotFile.read(path: path, fingerprint: 7) }
    }
}
