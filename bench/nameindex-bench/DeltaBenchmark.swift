import ArgumentParser
import Foundation
import NameIndexCore

/// Deltas on a large base (issue 16): applying one and serving it, lookups through an
/// overlay, and compaction. The fetch is excluded; the rows are in memory.
struct DeltaBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delta", abstract: "Measure applying deltas, lookups through an overlay, and compaction.")

    @Option(help: "Entries in the base.") var entries = 10_000_000
    @Option(help: "Rows in the delta that is timed.") var delta = 10_000
    @Option(help: "The overlay for the lookup and compaction figures, as a share of the base.") var overlay = 0.05
    @Option(help: "Lookups per measurement.") var lookups = 2_000_000
    @Option(help: "Repeats (the median is printed).") var repeats = 5

    /// A delta of `count` rows over `rows`: 90% renames of existing keys, 5% new keys, 5% tombstones.
    static func deltaTable(_ count: Int, over rows: SyntheticRows, seed: UInt64) throws -> (KeyTable, bytes: Int) {
        var random = SplitMix64(state: seed)
        let builder = KeyTableBuilder()
        var bytes = 0
        for i in 0..<count {
            let key: String
            var name: String
            switch i % 20 {
            case 0: (key, name) = (rows.missingKey(Int(seed) * 10_000_000 + i), rows.name(&random))
            case 1: (key, name) = (rows.key(random.below(rows.count)), "")
            default: (key, name) = (rows.key(random.below(rows.count)), rows.name(&random))
            }
            if name == "x" { name = "y" }
            bytes += key.utf8.count + name.utf8.count
            try builder.insert(key: key, name: name)
        }
        return (try builder.finish(), bytes)
    }

    /// `repeats` deltas of `delta` rows, each applied to `index` (its rows into a table, the new
    /// generation) and swapped in: the median time and peak RSS growth, and one delta's bytes.
    func applyDeltas(onto index: Index, rows: SyntheticRows, store: Store) throws -> (milliseconds: Double, growth: Int, bytes: Int) {
        var times: [Double] = []
        var growth: [Int] = []
        var deltaBytes = 0
        for run in 0..<repeats {
            store.swap(index)
            let rssBefore = ProcessMemory.read().rss
            ProcessMemory.resetPeak()
            let clock = ContinuousClock()
            let start = clock.now
            let (table, bytes) = try Self.deltaTable(delta, over: rows, seed: UInt64(run + 1))
            guard let (next, effect) = try index.applying(
                delta: table, toSource: "users", watermark: "\(run)", generation: index.generation + 1, createdAtMicroseconds: 0)
            else { throw BenchError("no source") }
            store.swap(next)
            times.append(Figures.seconds(clock.now - start))
            growth.append(ProcessMemory.read().peak - rssBefore)
            deltaBytes = bytes
            precondition(effect.upserts + effect.tombstones == table.count)
        }
        return (Figures.median(times) * 1000, Int(Figures.median(growth.map(Double.init))), deltaBytes)
    }

    func run() async throws {
        let rows = SyntheticRows(kind: .integer, count: entries, seed: 42)
        print("delta benchmark: a base of \(entries.formatted()) entries (integer keys), a delta of \(delta.formatted()) rows (90% renames, 5% new keys, 5% tombstones), repeats \(repeats), medians")
        let builder = KeyTableBuilder()
        for batch in rows.batches() { try builder.add(batch) }
        let base = try builder.finish()
        var indexBuilder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        indexBuilder.add(source: "users", namespace: "user", table: base)
        let plain = indexBuilder.build()
        let store = Store(index: plain)
        print("base             \(Figures.mib(base.memoryBytes))")

        // 1. Apply one delta (its rows to a table, the new generation, the swap), from a base without an overlay.
        let fresh = try applyDeltas(onto: plain, rows: rows, store: store)
        print(String(format: "apply + serve    %.1f ms for %d rows (target <= 50 ms); peak RSS growth %@ for %@ of keys and names (target <= 4 x + 16 MiB = %@)",
                     fresh.milliseconds, delta, Figures.mib(fresh.growth), Figures.mib(fresh.bytes), Figures.mib(4 * fresh.bytes + 16 << 20)))

        // 2. The same delta on a base that already has an overlay of `overlay` × base.
        let overlayRows = Int(Double(entries) * overlay)
        let (big, _) = try Self.deltaTable(overlayRows, over: rows, seed: 1000)
        guard let (overlaid, _) = try plain.applying(delta: big, toSource: "users", watermark: "0", generation: 3, createdAtMicroseconds: 0)
        else { throw BenchError("no source") }
        let layer = overlaid.sourceTable("users")!.layer
        print("overlay          \(layer.overlayEntries.formatted()) entries, \(Figures.mib(layer.overlayBytes))")
        let onto = try applyDeltas(onto: overlaid, rows: rows, store: store)
        print(String(format: "apply + serve    %.1f ms for %d rows onto that overlay (into a young level; the old one is shared); peak RSS growth %@",
                     onto.milliseconds, delta, Figures.mib(onto.growth)))
        // Five deltas more: a young level of about 50k entries beside the old one.
        var withYoung = overlaid
        for run in 0..<5 {
            let (table, _) = try Self.deltaTable(delta, over: rows, seed: UInt64(500 + run))
            withYoung = try withYoung.applying(
                delta: table, toSource: "users", watermark: "y\(run)", generation: withYoung.generation + 1, createdAtMicroseconds: 0)!.index
        }
        let twoLevels = withYoung.sourceTable("users")!.layer
        print("young level      \((twoLevels.young?.count ?? 0).formatted()) entries beside the overlay's \((twoLevels.overlay?.count ?? 0).formatted())")
        var times: [Double] = []
        var growth: [Int] = []

        // 3. Lookups, with and without the overlay.
        var random = SplitMix64(state: 7)
        let hits = QueryKeys((0..<lookups).map { _ in rows.key(random.below(rows.count)) })
        // Interleaved, so that a drift of the machine (its caches, its clock) falls on all three alike.
        let (one, _) = try Self.deltaTable(1, over: rows, seed: 99)
        let tiny = try plain.applying(delta: one, toSource: "users", watermark: "t", generation: 2, createdAtMicroseconds: 0)!.index
        let contenders = [("no overlay", plain), ("overlay", overlaid), ("two levels", withYoung), ("1-key overlay", tiny)]
        var single = [[Double]](repeating: [], count: contenders.count)
        var batched = [[Double]](repeating: [], count: contenders.count)
        for _ in 0..<repeats {
            for (c, (_, index)) in contenders.enumerated() {
                let clock = ContinuousClock()
                var start = clock.now
                let found = hits.lookUp(in: index, namespace: "user", rotation: 0)
                single[c].append(Figures.seconds(clock.now - start) / Double(hits.count) * 1e9)
                start = clock.now
                let foundBatched = hits.lookUpInBatches(of: 100, in: index, namespace: "user")
                batched[c].append(Figures.seconds(clock.now - start) / Double(hits.count) * 1e9)
                precondition(found == foundBatched && found > 0)
            }
        }
        for (c, (label, _)) in contenders.enumerated() {
            let plus = c == 0 ? "" : String(
                format: " (%+.0f%%, %+.0f%%)", (Figures.median(single[c]) / Figures.median(single[0]) - 1) * 100,
                (Figures.median(batched[c]) / Figures.median(batched[0]) - 1) * 100)
            print(String(format: "lookup %-11@ %.0f ns/key one at a time, %.0f ns/key in batches of 100%@",
                         label, Figures.median(single[c]), Figures.median(batched[c]), plus))
        }

        // 4. Merging the two levels (off the delta's path, as the daemon does when the young one
        //    passes a quarter of the old).
        times = []
        for _ in 0..<repeats {
            let clock = ContinuousClock()
            let start = clock.now
            let merged = try twoLevels.merged()
            times.append(Figures.seconds(clock.now - start))
            precondition(merged.young == nil && merged.count == twoLevels.count)
        }
        print(String(format: "merge levels     %.1f ms", Figures.median(times) * 1000))

        // 5. Compaction of that overlay into a new base.
        times = []
        growth = []
        for _ in 0..<max(1, repeats / 2) {
            let rssBefore = ProcessMemory.read().rss
            ProcessMemory.resetPeak()
            let clock = ContinuousClock()
            let start = clock.now
            let compacted = try layer.compacted()
            times.append(Figures.seconds(clock.now - start))
            growth.append(ProcessMemory.read().peak - rssBefore)
            precondition(compacted.count == layer.count)
        }
        let grown = Int(Figures.median(growth.map(Double.init)))
        print(String(format: "compaction       %.2f s; peak RSS growth %@ = %.2f x the base (target <= 1.1 x)",
                     Figures.median(times), Figures.mib(grown), Double(grown) / Double(base.memoryBytes)))
    }
}
