import Foundation
@testable import NameIndexCore
import Testing

/// Deltas applied to overlays, checked against a model: a dictionary per source and the rule
/// that the first source answering a key wins, a tombstone leaving it to the next.
@Suite struct OverlayTests {
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static func table(_ rows: [String: String]) throws -> KeyTable {
        let builder = KeyTableBuilder()
        for (key, name) in rows.sorted(by: { $0.key < $1.key }) { try builder.insert(key: key, name: name) }
        return try builder.finish()
    }

    /// Namespace `n` fed by sources a, b, c (keys 0..<400; some text keys), namespace `other` by d.
    static let universe = (0..<400).map { $0 % 7 == 0 ? "k\($0)" : "\($0)" }

    func check(_ index: Index, _ model: [String: [String: String]], order: [String], file: String = #fileID, line: Int = #line) throws {
        var expected: [String: String] = [:]
        for source in order.reversed() { for (k, v) in model[source]! { expected[k] = v } }
        // Every key of the universe, one at a time and batched.
        let answers = index.lookup(namespace: "n", keys: Self.universe)!
        for (key, answer) in zip(Self.universe, answers) {
            #expect(answer == expected[key], "key \(key)")
            var k = key
            let single = k.withUTF8 { index.name(namespace: "n", key: UnsafeRawBufferPointer($0)).map { String(decoding: $0, as: UTF8.self) } }
            #expect(single == expected[key], "key \(key) alone")
        }
        #expect(index.namespaceSummaries.first { $0.name == "n" }?.entries == expected.count)
        // A scan as HSCAN walks it: each live key once, with its name.
        let slot = index.namespaceSlot(UnsafeRawBufferPointer(start: "n", count: 1))!
        let layers = index.layers(slot: slot)
        var scanned: [String: String] = [:]
        var repeats = 0
        for (j, layer) in layers.enumerated() {
            var position = 0
            while position < layer.bucketTotal {
                layer.forEachEntry(inBuckets: position..<min(layer.bucketTotal, position + 3)) { key, name in
                    if layers[0..<j].contains(where: { $0.contains(key) }) { return }
                    if scanned.updateValue(String(decoding: name, as: UTF8.self), forKey: String(decoding: key, as: UTF8.self)) != nil { repeats += 1 }
                }
                position += 3
            }
        }
        #expect(repeats == 0)
        #expect(scanned == expected)
        // Live and shadowed counts as a fresh build over the same layers counts them.
        var builder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        for source in index.sources { builder.add(source: source.source, namespace: source.namespace, layer: source.layer) }
        let fresh = builder.build()
        #expect(fresh.sources.map(\.shadowed) == index.sources.map(\.shadowed))
        // The count kept delta by delta is the one counted from the levels merged (as a snapshot stores them).
        #expect(try index.sources.map(\.layer.count) == index.sources.map { SourceLayer(base: $0.layer.base, overlay: try $0.layer.mergedOverlay()).count })
        for source in order { #expect(index.sourceTable(source)?.layer.count == model[source]!.count) }
    }

    @Test(arguments: [1, 2, 3])
    func manyRoundsOfUpsertsAndTombstonesMatchTheModel(seed: UInt64) throws {
        var random = Generator(state: seed)
        let order = ["a", "b", "c"]
        var model: [String: [String: String]] = [:]
        var builder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        for source in order {
            var rows: [String: String] = [:]
            for _ in 0..<150 { rows[Self.universe[random.next(400)]] = "\(source)-\(random.next(5))" }
            model[source] = rows
            builder.add(source: source, namespace: "n", table: try Self.table(rows))
        }
        builder.add(source: "d", namespace: "other", table: try Self.table(["1": "one"]))
        var index = builder.build()
        try check(index, model, order: order)
        var sawTwoLevels = false
        for round in 0..<40 {
            let source = order[random.next(3)]
            var delta: [String: String] = [:]  // "" is a tombstone
            for _ in 0..<(1 + random.next(30)) {
                let key = Self.universe[random.next(400)]
                delta[key] = random.next(3) == 0 ? "" : "\(source)-r\(round)-\(random.next(3))"
            }
            let before = index
            guard let (next, effect) = try index.applying(
                delta: try Self.table(delta), toSource: source, watermark: "\(round)", generation: UInt64(round + 2), createdAtMicroseconds: 0)
            else { Issue.record("no source \(source)"); return }
            for (key, name) in delta { model[source]![key] = name.isEmpty ? nil : name }
            index = next
            try check(index, model, order: order)
            #expect(index.sourceTable(source)?.watermark == "\(round)")
            #expect(index.lookup(namespace: "other", keys: ["1"]) == ["one"])
            // The effect's diff is the full diff of the two generations.
            #expect([effect.diff] == index.diff(from: before).filter { $0.namespace == "n" })
            #expect(effect.upserts + effect.tombstones == delta.count)
            // After its first delta a source has two levels (the later deltas go to the young one);
            // now and then they are merged, which changes no answer.
            let layer = index.sourceTable(source)!.layer
            if layer.young != nil { sawTwoLevels = true }
            if random.next(5) == 0 {
                index = index.replacingLayer(of: source, with: try layer.merged(), generation: UInt64(round + 2), createdAtMicroseconds: 0)!
                #expect(index.sourceTable(source)?.layer.young == nil)
                try check(index, model, order: order)
            }
        }
        #expect(sawTwoLevels)
        // A snapshot stores the levels as one and answers the same.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("overlay-\(seed)-\(UUID()).snapshot").path
        defer { unlink(path) }
        _ = try SnapshotFile.write(index, fingerprint: 7, to: path)
        try check(try SnapshotFile.open(path: path, fingerprint: 7).index, model, order: order)
        // Compaction answers the same, with no overlay.
        for source in order {
            let layer = index.sourceTable(source)!.layer
            let compacted = try layer.compacted()
            index = index.replacingBase(of: source, with: compacted, generation: 100, createdAtMicroseconds: 0)!
            #expect(index.sourceTable(source)?.layer.overlay == nil)
            try check(index, model, order: order)
        }
    }

    @Test func aTombstoneInTheFirstSourceLetsTheSecondAnswer() throws {
        var builder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        builder.add(source: "first", namespace: "n", table: try Self.table(["42": "from first", "7": "seven"]))
        builder.add(source: "second", namespace: "n", table: try Self.table(["42": "from second"]))
        let index = builder.build()
        #expect(index.sources.map(\.shadowed) == [0, 1])
        let (next, effect) = try index.applying(
            delta: try Self.table(["42": "", "8": "eight"]), toSource: "first", watermark: "w", generation: 2, createdAtMicroseconds: 0)!
        #expect(next.lookup(namespace: "n", keys: ["42", "7", "8"]) == ["from second", "seven", "eight"])
        #expect(next.sources.map(\.shadowed) == [0, 0])
        #expect(next.namespaceSummaries == [.init(name: "n", entries: 3)])
        #expect(effect.diff == NamespaceDiff(namespace: "n", added: 1, removed: 0, changed: 1))
        #expect(effect.tombstones == 1 && effect.upserts == 1)
        #expect(next.sourceTable("first")?.layer.count == 2)
    }

    @Test func anIntegerBaseWithTextKeysInItsOverlay() throws {
        // The base stores integers; "k5" and "007" cannot be in it, so they have no base hash,
        // and the overlay filter must still let them through to the overlay.
        var builder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        let base = try Self.table(Dictionary(uniqueKeysWithValues: (0..<500).map { ("\($0)", "n\($0)") }))
        #expect(base.keyKind == .integer)
        builder.add(source: "s", namespace: "n", table: base)
        builder.add(source: "t", namespace: "n", table: try Self.table(["7": "from t", "k6": "t6"]))
        let (index, _) = try builder.build().applying(
            delta: try Self.table(["k5": "five", "007": "bond", "7": "", "8": "eight", "k6": ""]), toSource: "s", watermark: nil,
            generation: 2, createdAtMicroseconds: 0)!
        #expect(index.sourceTable("s")?.layer.filter?.holdsUnhashable == true)
        let keys = ["k5", "007", "7", "8", "9", "k6", "k7", "x"] + (0..<40).map { "\($0 * 13)" }
        func baseName(_ n: Int) -> String? { n < 500 ? "n\(n)" : nil }
        let head: [String?] = ["five", "bond", "from t", "eight", "n9", "t6", nil, nil]
        let expected: [String?] = head + (0..<40).map { baseName($0 * 13) }
        #expect(index.lookup(namespace: "n", keys: keys) == expected)
        for (key, name) in zip(keys, expected) {
            var k = key
            #expect(k.withUTF8 { index.name(namespace: "n", key: UnsafeRawBufferPointer($0)).map { String(decoding: $0, as: UTF8.self) } } == name)
        }
    }

    /// Integer keys in the base and in both levels (each level probed with the base's hash,
    /// its buckets and entries prefetched in a batch): batched answers equal single ones and the
    /// model, through upserts, tombstones, new keys and both levels.
    @Test func integerLevelsHashedAsTheBaseAnswerBatchedAsAlone() throws {
        var model = Dictionary(uniqueKeysWithValues: (0..<3000).map { ("\($0)", "n\($0)") })
        var builder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        builder.add(source: "s", namespace: "n", table: try Self.table(model))
        builder.add(source: "t", namespace: "n", table: try Self.table(["5": "t5", "3500": "t3500"]))
        var index = builder.build()
        var random = Generator(state: 11)
        for round in 0..<2 {
            var delta: [String: String] = [:]
            for _ in 0..<400 {
                let key = "\(random.next(4000))"
                delta[key] = random.next(4) == 0 ? "" : "r\(round)-\(key)"
            }
            delta["5"] = ""
            let table = try Self.table(delta)
            #expect(table.keyKind == .integer)
            index = try index.applying(delta: table, toSource: "s", watermark: nil, generation: UInt64(round + 2), createdAtMicroseconds: 0)!.0
            for (key, name) in delta { model[key] = name.isEmpty ? nil : name }
        }
        let layer = index.sourceTable("s")!.layer
        #expect(layer.young != nil && layer.overlay != nil)
        #expect(layer.young?.keyKind == .integer && layer.overlay?.keyKind == .integer)
        let keys = (0..<4000).map { "\($0)" } + ["x", "-0", "05"]
        let expected: [String?] = keys.map { key in model[key] ?? ["5": "t5", "3500": "t3500"][key] }
        #expect(index.lookup(namespace: "n", keys: keys) == expected)
        for (key, name) in zip(keys, expected) {
            var k = key
            #expect(k.withUTF8 { index.name(namespace: "n", key: UnsafeRawBufferPointer($0)).map { String(decoding: $0, as: UTF8.self) } } == name)
        }
    }

    @Test func aDeltaThatChangesNothingLeavesNoOverlayEntries() throws {
        var builder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        builder.add(source: "s", namespace: "n", table: try Self.table(["1": "one"]))
        let index = builder.build()
        // The same name again, and a tombstone of a key the base never had.
        let (next, effect) = try index.applying(
            delta: try Self.table(["1": "one", "2": ""]), toSource: "s", watermark: nil, generation: 2, createdAtMicroseconds: 0)!
        #expect(effect.overlayEntries == 0)
        #expect(next.sourceTable("s")?.layer.overlay == nil)
        #expect(effect.diff == NamespaceDiff(namespace: "n", added: 0, removed: 0, changed: 0))
        #expect(try index.applying(delta: .empty(), toSource: "missing", watermark: nil, generation: 2, createdAtMicroseconds: 0) == nil)
    }

    @Test func aSnapshotKeepsOverlaysAndWatermarks() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-overlay-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("index.snapshot").path
        var builder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        builder.add(source: "a", namespace: "n", layer: SourceLayer(base: try Self.table(["1": "one", "2": "two"])), watermark: "2026-12-01 10:00:00")
        builder.add(source: "b", namespace: "n", table: try Self.table(["2": "deux", "3": "trois"]))
        let (index, _) = try builder.build().applying(
            delta: try Self.table(["2": "", "4": "four"]), toSource: "a", watermark: "2026-12-02 11:00:00", generation: 5, createdAtMicroseconds: 9)!
        try SnapshotFile.write(index, fingerprint: 3, to: path)
        let loaded = try SnapshotFile.read(path: path, fingerprint: 3)
        #expect(loaded.lookup(namespace: "n", keys: ["1", "2", "3", "4", "5"]) == ["one", "deux", "trois", "four", nil])
        #expect(loaded.sources.map(\.watermark) == ["2026-12-02 11:00:00", nil])
        #expect(loaded.sources.map(\.layer.overlayEntries) == [2, 0])
        #expect(loaded.sources.map(\.layer.count) == [2, 2])
        #expect(loaded.sources.map(\.shadowed) == index.sources.map(\.shadowed))
        #expect(loaded.namespaceSummaries == index.namespaceSummaries)
    }
}
