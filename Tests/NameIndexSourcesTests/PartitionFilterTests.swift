@testable import NameIndexSources
import Testing

@Suite struct PartitionFilterTests {
    @Test func rangeStartsCoverTheBoundsEvenly() {
        #expect(PartitionFilter.rangeStarts(0...99, count: 4) == [0, 25, 50, 75])
        #expect(PartitionFilter.rangeStarts(-10...9, count: 2) == [-10, 0])
        #expect(PartitionFilter.rangeStarts(5...5, count: 3) == [5, 5, 5])
        // The whole Int64 range does not overflow.
        #expect(PartitionFilter.rangeStarts(Int64.min...Int64.max, count: 2) == [Int64.min, 0])
    }

    @Test func rangePredicatesAreOpenAtBothEnds() {
        let filter = PartitionFilter(method: .range, key: "u.id")
        let p = { (i: Int) in filter.predicate(for: Partition(index: i, of: 3), bounds: 0...299, dialect: .postgresql) }
        #expect(p(0) == "(((u.id)::int8 < 100) OR (u.id) IS NULL)")
        #expect(p(1) == "(((u.id)::int8 >= 100 AND (u.id)::int8 < 200))")
        #expect(p(2) == "(((u.id)::int8 >= 200))")
        #expect(filter.predicate(for: .whole, bounds: 0...299, dialect: .postgresql) == "TRUE")
        // An empty source: partition 0 takes whatever appears meanwhile.
        #expect(filter.predicate(for: Partition(index: 0, of: 3), bounds: nil, dialect: .sqlite) == "TRUE")
        #expect(filter.predicate(for: Partition(index: 2, of: 3), bounds: nil, dialect: .sqlite) == "FALSE")
    }

    @Test func hashPredicatesPerDialect() {
        let filter = PartitionFilter(method: .hash, key: "id")
        #expect(
            filter.predicate(for: Partition(index: 0, of: 4), bounds: nil, dialect: .postgresql)
                == "(mod(hashtext((id)::text)::int8 + 2147483648, 4) = 0 OR (id) IS NULL)")
        #expect(
            filter.predicate(for: Partition(index: 3, of: 4), bounds: nil, dialect: .sqlite) == "((nameindex_hash(id) % 4) = 3)")
    }
}
