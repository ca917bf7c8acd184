@testable import NameIndexCore
import Testing

/// Repeated keys: the first row wins, the rest are counted, and they never fill memory
/// (the builder compacts its arena in place when repeats are many).
@Suite struct KeyTableRepeatsTests {
    /// One key a million times: the arena stays near the compaction start, not a million rows.
    @Test func oneKeyRepeatedDoesNotGrowTheArena() throws {
        let builder = KeyTableBuilder(compactionStart: 64 << 10)
        let name = String(repeating: "n", count: 40)
        try builder.insert(key: "first", name: "the first row")
        var largest = 0
        for _ in 0..<1_000_000 {
            try builder.insert(key: "first", name: name)
            largest = max(largest, builder.arenaCount)
        }
        #expect(largest <= 2 * (64 << 10), "the arena grew to \(largest) bytes")
        #expect(builder.rowCount == 1_000_001)
        let table = try builder.finish()
        #expect(table.count == 1)
        #expect(table.duplicates == 1_000_000)
        #expect(table.name(forKey: "first") == "the first row")
        #expect(table.header.bucketCount == 1)
    }

    /// Many keys, each repeated: the table equals the one built from first rows, and its
    /// buckets are sized by the distinct keys, not by the rows.
    @Test(arguments: [false, true])
    func repeatsKeepTheirFirstRowAndTheBucketsFitTheDistinctKeys(integerKeys: Bool) throws {
        let key: (Int) -> String = { integerKeys ? "\($0 * 3 - 5000)" : "key-\($0)" }
        let distinctKeys = 20_000
        let builder = KeyTableBuilder(compactionStart: 256 << 10)
        for round in 0..<20 {
            for i in 0..<distinctKeys { try builder.insert(key: key(i), name: "round \(round) of \(i)") }
        }
        var largest = builder.arenaCount
        for i in 0..<distinctKeys { try builder.insert(key: key(i), name: "late \(i)") }
        largest = max(largest, builder.arenaCount)
        let table = try builder.finish()
        #expect(table.keyKind == (integerKeys ? .integer : .text))
        #expect(table.count == distinctKeys)
        #expect(table.duplicates == 20 * distinctKeys)
        for i in 0..<distinctKeys { #expect(table.name(forKey: key(i)) == "round 0 of \(i)") }
        #expect(table.name(forKey: key(distinctKeys)) == nil)
        // Sized by the distinct keys: compaction runs when a fifth of the entries look like
        // repeats, so at most 1.25 × as many.
        #expect(Int(table.header.bucketCount) <= KeyTableBuilder.bucketCount(for: distinctKeys * 5 / 4))
        // 21 × 20,000 rows of about 25 bytes would be over 10 MB.
        #expect(largest < 3 << 20, "the arena grew to \(largest) bytes")
    }

    /// Partitions join in order; a key in two partitions keeps the first partition's row,
    /// also when the join is what makes the repeats many.
    @Test func absorbedPartitionsKeepTheFirstPartitionsRow() throws {
        let first = KeyTableBuilder(compactionStart: 64 << 10)
        let second = KeyTableBuilder(compactionStart: 64 << 10)
        for i in 0..<10_000 {
            try first.insert(key: "k\(i)", name: "first \(i)")
            try second.insert(key: "k\(i)", name: "second \(i)")
        }
        for i in 10_000..<10_100 { try second.insert(key: "k\(i)", name: "second \(i)") }
        try first.absorb(second)
        let table = try first.finish()
        #expect(table.count == 10_100)
        #expect(table.duplicates == 10_000)
        #expect(table.name(forKey: "k5") == "first 5")
        #expect(table.name(forKey: "k10050") == "second 10050")
    }

    /// Without repeats nothing is compacted away.
    @Test func distinctKeysAreAllKept() throws {
        let builder = KeyTableBuilder(compactionStart: 16 << 10)
        for i in 0..<100_000 { try builder.insert(key: "u\(i)", name: "n\(i)") }
        let table = try builder.finish()
        #expect(table.count == 100_000)
        #expect(table.duplicates == 0)
        for i in stride(from: 0, to: 100_000, by: 997) { #expect(table.name(forKey: "u\(i)") == "n\(i)") }
    }

    /// The estimate the builder decides by is within a few percent.
    @Test(arguments: [10, 1_000, 100_000, 1_000_000])
    func theDistinctEstimateIsClose(count: Int) {
        let estimate = DistinctEstimate()
        for round in 0..<2 {
            for i in 0..<count {
                var key = "id-\(i)"
                key.withUTF8 { estimate.add(key: UnsafeRawBufferPointer($0)) }
            }
            _ = round
        }
        let error = abs(estimate.estimate - Double(count)) / Double(count)
        #expect(error < 0.05, "estimated \(estimate.estimate) for \(count)")
    }
}
