#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import NameIndexCore

extension SyntheticRows.KeyKind: ExpressibleByArgument {}

/// `nameindex-bench index`: build, size, lookups, snapshot and warm start of the compact index.
struct IndexBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build the index from an in-memory row stream and measure it.")

    @Option(name: .long, parsing: .upToNextOption, help: "Entry counts to run (default 1M, 10M, 30M).")
    var entries: [Int] = [1_000_000, 10_000_000, 30_000_000]

    @Option(name: .long, parsing: .upToNextOption, help: "Key kinds: integer, text (default both).")
    var keys: [SyntheticRows.KeyKind] = SyntheticRows.KeyKind.allCases

    @Option(name: .long, help: "Lookups per timing run.")
    var lookups = 2_000_000

    @Option(name: .long, help: "Timing runs per figure; the median is printed.")
    var repeats = 3

    @Flag(name: .customLong("no-daemon"), help: "Skip the measurements that start the real nameindexd.")
    var noDaemon = false

    @Option(name: .long, help: "Directory for snapshots and daemon state (default: a new one in $TMPDIR).")
    var directory: String?

    func run() async throws {
        let work = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: work) } }
        print("nameindex-bench index: \(ProcessInfo.processInfo.activeProcessorCount) cores, lookups \(lookups), median of \(repeats)")
        for count in entries {
            for kind in keys {
                try await measure(count: count, kind: kind, work: work)
            }
        }
    }

    private func measure(count: Int, kind: SyntheticRows.KeyKind, work: String) async throws {
        let rows = SyntheticRows(kind: kind, count: count, seed: 42)
        print("\n== \(count.formatted()) entries, \(kind) keys")
        let batches = rows.batches()
        let rawBytes = batches.reduce(0) { $0 + $1.byteCount }

        // Build: single core, from the in-memory stream; peak RSS above what the input takes.
        let before = ProcessMemory.read().rss
        ProcessMemory.resetPeak()
        var table: KeyTable?
        var buildTimes: [Double] = []
        var finishTimes: [Double] = []
        for run in 0..<(count > 10_000_000 ? 1 : repeats) {
            table = nil
            if run > 0 { ProcessMemory.resetPeak() }
            let clock = ContinuousClock()
            let start = clock.now
            let builder = KeyTableBuilder()
            for batch in batches { try builder.add(batch) }
            let added = clock.now
            table = builder.build()
            buildTimes.append(Figures.seconds(clock.now - start))
            finishTimes.append(Figures.seconds(clock.now - added))
        }
        let peak = ProcessMemory.read().peak - before
        let built = table!
        let build = Figures.median(buildTimes)
        print(String(format: "build            %.3f s, %.2f M rows/s (one core); of it finish() %.3f s (%.0f ns/row)", build,
                     Double(count) / build / 1e6, Figures.median(finishTimes), Figures.median(finishTimes) / Double(count) * 1e9))
        let perEntry = Double(built.memoryBytes) / Double(count)
        let overhead = Double(built.memoryBytes - built.keyBytes - built.nameBytes) / Double(count)
        let raw = Double(built.keyBytes + built.nameBytes) / Double(count)
        print(String(format: "size             %@, %.1f B/entry; raw key+name %.1f B/entry; overhead %.1f B/entry (%@ keys)",
                     Figures.mib(built.memoryBytes), perEntry, raw, overhead, "\(built.keyKind)"))
        if built.keyKind == .integer {
            print(String(format: "integer budget   index - name bytes = %.1f B/entry (target <= 12)",
                         Double(built.memoryBytes - built.nameBytes) / Double(count)))
        } else {
            print(String(format: "text budget      overhead %.1f B/entry (target <= 16)", overhead))
        }
        print("peak RSS (build) \(Figures.mib(peak)) above the \(Figures.mib(rawBytes)) input; \(ProcessMemory.hugePages()) in huge pages")

        var indexBuilder = IndexBuilder(generation: 1, createdAtMicroseconds: UInt64(Date().timeIntervalSince1970 * 1e6))
        indexBuilder.add(source: "users", namespace: "user", table: built)
        let index = indexBuilder.build()
        try await measureLookups(index: index, rows: rows)
        try measureSnapshot(index: index, work: work, count: count)
        if !noDaemon {
            try await DaemonStartBenchmark(work: work, index: index, repeats: repeats).run()
            try await ReloadMemoryBenchmark(work: work, batches: batches).run()
        }
    }

    /// ns per lookup through `Index.name(namespace:key:)`, random hits and misses, 1 and 2 threads.
    private func measureLookups(index: Index, rows: SyntheticRows) async throws {
        var random = SplitMix64(state: 7)
        let hits = QueryKeys((0..<lookups).map { _ in rows.key(random.below(rows.count)) })
        let misses = QueryKeys((0..<lookups).map { rows.missingKey($0) })
        for (label, queries, expectFound) in [("hits", hits, true), ("misses", misses, false)] {
            for threads in [1, 2] {
                var results: [Double] = []
                for _ in 0..<repeats {
                    let clock = ContinuousClock()
                    let start = clock.now
                    let found = await withTaskGroup(of: Int.self) { group in
                        for t in 0..<threads {
                            group.addTask { queries.lookUp(in: index, namespace: "user", rotation: t) }
                        }
                        return await group.reduce(0, +)
                    }
                    let elapsed = Figures.seconds(clock.now - start)
                    precondition(found == (expectFound ? queries.count * threads : 0), "lookups returned wrong results")
                    results.append(elapsed / Double(queries.count) * 1e9)
                }
                let ns = Figures.median(results)
                print(String(format: "lookup %-6@ %d thread%@  %.0f ns/op per thread, %.2f M lookups/s in all",
                             label, threads, threads == 1 ? " " : "s", ns, Double(threads) * 1e3 / ns))
            }
            // Batches of 100 keys (a varlink Lookup or an HMGET), one thread.
            var batched: [Double] = []
            for _ in 0..<repeats {
                let clock = ContinuousClock()
                let start = clock.now
                let found = queries.lookUpInBatches(of: 100, in: index, namespace: "user")
                batched.append(Figures.seconds(clock.now - start) / Double(queries.count) * 1e9)
                precondition(found == (expectFound ? queries.count : 0), "batched lookups returned wrong results")
            }
            print(String(format: "lookup %-6@ batches of 100, 1 thread  %.0f ns per key", label, Figures.median(batched)))
        }
    }

    private func measureSnapshot(index: Index, work: String, count: Int) throws {
        let path = work + "/bench.snapshot"
        var writes: [Double] = []
        var loads: [Double] = []
        var size = 0
        for _ in 0..<repeats {
            let clock = ContinuousClock()
            var start = clock.now
            size = try SnapshotFile.write(index, fingerprint: 1, to: path)
            writes.append(Figures.seconds(clock.now - start))
            start = clock.now
            let loaded = try SnapshotFile.read(path: path, fingerprint: 1)
            loads.append(Figures.seconds(clock.now - start))
            precondition(loaded.entryCount == index.entryCount)
        }
        try? FileManager.default.removeItem(atPath: path)
        print(String(format: "snapshot         write %.3f s (%@, with fsync); mmap+verify %.3f s (page cache warm)",
                     Figures.median(writes), Figures.mib(size), Figures.median(loads)))
    }
}

/// Query keys in one contiguous buffer, so the timing loop allocates nothing.
struct QueryKeys: Sendable {
    let bytes: [UInt8]
    let offsets: [Int]
    var count: Int { offsets.count - 1 }

    init(_ keys: [String]) {
        var bytes: [UInt8] = []
        var offsets = [0]
        for key in keys {
            bytes += key.utf8
            offsets.append(bytes.count)
        }
        self.bytes = bytes
        self.offsets = offsets
    }

    /// Looks the keys up 100 at a time with the batched API; returns how many were found.
    func lookUpInBatches(of size: Int, in index: Index, namespace: String) -> Int {
        var found = 0
        bytes.withUnsafeBytes { all in
            var start = 0
            while start < count {
                let n = min(size, count - start)
                let base = start
                index.names(
                    namespace: namespace, count: n,
                    key: { UnsafeRawBufferPointer(rebasing: all[offsets[base + $0]..<offsets[base + $0 + 1]]) }
                ) { _, name in
                    if name != nil { found += 1 }
                }
                start += n
            }
        }
        return found
    }

    /// Looks every key up (starting at a different point per thread); returns how many were found.
    func lookUp(in index: Index, namespace: String, rotation: Int) -> Int {
        var found = 0
        let n = count
        let start = (n / 2) * rotation % max(n, 1)
        bytes.withUnsafeBytes { all in
            for j in 0..<n {
                let i = (start + j) % n
                let key = UnsafeRawBufferPointer(rebasing: all[offsets[i]..<offsets[i + 1]])
                if index.name(namespace: namespace, key: key) != nil { found += 1 }
            }
        }
        return found
    }
}
