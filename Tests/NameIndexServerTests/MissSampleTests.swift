import Foundation
import NameIndexCore
import Testing

@testable import NameIndexServer

/// The filtered space-saving sample of missed keys against exact counts: its bounds hold for
/// every key, whatever the stream.
@Suite struct MissSampleTests {
    /// A deterministic generator, so that a failure repeats.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func add(_ sample: MissSample, _ key: String, at time: UInt64 = 1) {
        var key = key
        key.withUTF8 { sample.add(UnsafeRawBufferPointer($0), at: time) }
    }

    /// Checks the algorithm's guarantees against `truth`.
    func checkBounds(_ sample: MissSample, _ truth: [String: Int], capacity: Int) {
        let entries = sample.entries
        let total = truth.values.reduce(0, +)
        #expect(sample.total == total)
        #expect(entries.count == min(capacity, truth.count))
        for entry in entries {
            let exact = truth[String(decoding: entry.key, as: UTF8.self)] ?? 0
            #expect(entry.count >= exact && entry.count - entry.error <= exact, "\(entry) against \(exact)")
        }
        let held = Set(entries.map { String(decoding: $0.key, as: UTF8.self) })
        for (key, count) in truth where count > total / capacity {
            #expect(held.contains(key), "\(key), missed \(count) of \(total) times, is held")
        }
        // Heap order shows in the listing: most missed first.
        #expect(entries.map(\.count) == entries.map(\.count).sorted(by: >))
    }

    @Test func heavyKeysAmongManySingletonsAreHeldWithinTheBound() {
        let sample = MissSample(capacity: 20)
        var truth: [String: Int] = [:]
        var stream: [String] = []
        for (key, count) in [("heavy-1", 500), ("heavy-2", 300), ("heavy-3", 200)] {
            stream += Array(repeating: key, count: count)
        }
        stream += (0..<2000).map { "single-\($0)" }
        var random = Generator(state: 1)
        stream.shuffle(using: &random)
        for key in stream {
            add(sample, key)
            truth[key, default: 0] += 1
        }
        checkBounds(sample, truth, capacity: 20)
        #expect(Array(sample.entries.prefix(3).map { String(decoding: $0.key, as: UTF8.self) }) == ["heavy-1", "heavy-2", "heavy-3"])
    }

    @Test(arguments: [1, 2, 7, 64, 100])
    func randomStreamsKeepTheBounds(capacity: Int) {
        var random = Generator(state: UInt64(capacity))
        for round in 0..<200 {
            let sample = MissSample(capacity: capacity)
            var truth: [String: Int] = [:]
            let keys = Int.random(in: 1...400, using: &random)
            for _ in 0..<Int.random(in: 1...3000, using: &random) {
                // Skewed: small keys are far more frequent, so the sample churns and keeps some.
                let key = "k\(Int(Double(keys) * pow(Double.random(in: 0..<1, using: &random), 3)))"
                add(sample, key)
                truth[key, default: 0] += 1
            }
            checkBounds(sample, truth, capacity: capacity)
            if round % 5 == 0 {
                sample.reset()
                #expect(sample.total == 0 && sample.entries.isEmpty && sample.distinctEstimate == 0)
            }
        }
    }

    @Test func aKeyThatTurnsHeavyLateIsHeld() {
        let sample = MissSample(capacity: 20)
        var truth: [String: Int] = [:]
        for i in 0..<5000 {
            add(sample, "single-\(i)")
            truth["single-\(i)"] = 1
        }
        for _ in 0..<300 { add(sample, "late") }
        truth["late"] = 300
        checkBounds(sample, truth, capacity: 20)
        #expect(sample.entries.first.map { String(decoding: $0.key, as: UTF8.self) } == "late")
    }

    @Test(arguments: [2, 3, 8])
    func shardsMergedKeepTheBounds(shards: Int) {
        var random = Generator(state: UInt64(shards))
        for _ in 0..<50 {
            let capacity = Int.random(in: 1...40, using: &random)
            let samples = (0..<shards).map { _ in MissSample(capacity: capacity) }
            var truth: [String: Int] = [:]
            let keys = Int.random(in: 1...300, using: &random)
            for _ in 0..<Int.random(in: 1...3000, using: &random) {
                let key = "k\(Int(Double(keys) * pow(Double.random(in: 0..<1, using: &random), 3)))"
                add(samples[Int.random(in: 0..<shards, using: &random)], key)
                truth[key, default: 0] += 1
            }
            let merged = MissSample.merged(samples.map { $0.snapshot() })
            let total = truth.values.reduce(0, +)
            #expect(merged.total == total && merged.entries.count <= capacity)
            for entry in merged.entries {
                let exact = truth[String(decoding: entry.key, as: UTF8.self)] ?? 0
                #expect(entry.count >= exact && entry.count - entry.error <= exact, "\(entry) against \(exact)")
            }
            let held = Set(merged.entries.map { String(decoding: $0.key, as: UTF8.self) })
            for (key, count) in truth where count > total / capacity {
                #expect(held.contains(key), "\(key), missed \(count) of \(total) times, is held")
            }
        }
    }

    @Test func seenTimesAreKeptPerKey() {
        let sample = MissSample(capacity: 4)
        add(sample, "a", at: 10)
        add(sample, "b", at: 20)
        add(sample, "a", at: 30)
        let a = sample.entries.first { $0.key == Array("a".utf8) }
        #expect(a?.firstSeenUSec == 10 && a?.lastSeenUSec == 30 && a?.count == 2 && a?.error == 0)
    }

    @Test func aLongKeyIsHeldByItsFirstBytesAndMarked() {
        let sample = MissSample(capacity: 4)
        let long = String(repeating: "x", count: 1000)
        add(sample, long)
        add(sample, long)
        add(sample, String(repeating: "x", count: MissSample.maximumKeyBytes))
        let entries = sample.entries
        #expect(entries.count == 2)
        #expect(entries[0].truncated && entries[0].count == 2 && entries[0].key.count == MissSample.maximumKeyBytes)
        #expect(!entries[1].truncated && entries[1].count == 1)
    }

    @Test func theEmptyKeyAndBinaryKeysAreKeys() {
        let sample = MissSample(capacity: 4)
        add(sample, "")
        [0xFF, 0x00, 0x80].withUnsafeBytes { sample.add($0, at: 1) }
        #expect(sample.entries.count == 2)
        #expect(sample.distinctEstimate == 2)
    }

    @Test func theDistinctEstimateIsClose() {
        let sample = MissSample(capacity: 10)
        for i in 0..<50_000 { add(sample, "key-\(i % 20_000)") }
        #expect(abs(sample.distinctEstimate - 20_000) < 20_000 / 20, "\(sample.distinctEstimate)")
    }
}
