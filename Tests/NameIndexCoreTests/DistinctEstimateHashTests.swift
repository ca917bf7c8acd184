@testable import NameIndexCore
import Testing

/// The quick hash of the distinct estimate and the missed-key sample reads short keys a word
/// or a few bytes at a time; no two short keys may share a hash through that.
@Suite struct DistinctEstimateHashTests {
    private func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { DistinctEstimate.hash($0) }
    }

    /// Every key of 0 to 2 bytes, and every key of 3 to 9 bytes that differs from a base key in
    /// one byte at any position: all hashes distinct.
    @Test func shortKeysDifferingAnywhereHashApart() {
        var keys: [[UInt8]] = [[]]
        for a in 0...255 { keys.append([UInt8(a)]) }
        for a in 0...255 { for b in 0...255 { keys.append([UInt8(a), UInt8(b)]) } }
        for length in 3...9 {
            let base = (0..<length).map { UInt8(0x30 + $0) }
            keys.append(base)
            for position in 0..<length {
                for value in 0...255 where UInt8(value) != base[position] {
                    var key = base
                    key[position] = UInt8(value)
                    keys.append(key)
                }
            }
        }
        var seen = Set<UInt64>()
        for key in keys { seen.insert(hash(key)) }
        #expect(seen.count == keys.count, "\(keys.count - seen.count) collisions among \(keys.count) keys")
    }

    /// The decimal ids of a table, the commonest keys: a million of them, 1 to 6 digits.
    @Test func decimalIdsHashApart() {
        var seen = Set<UInt64>()
        for i in 0..<1_000_000 {
            var key = String(i)
            seen.insert(key.withUTF8 { DistinctEstimate.hash(UnsafeRawBufferPointer($0)) })
        }
        #expect(seen.count == 1_000_000)
    }
}
