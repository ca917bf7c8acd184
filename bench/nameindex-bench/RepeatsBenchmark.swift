import ArgumentParser
import Foundation
import NameIndexCore

/// `nameindex-bench repeats`: a source whose rows repeat their keys, as a join gone wrong
/// or a log table would return them. Builds one table from `--distinct` keys streamed
/// `--times` times over, and prints the time, the peak RSS of the build and the table.
struct RepeatsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repeats",
        abstract: "Build a table from rows whose keys repeat, and measure its memory.")

    @Option(name: .long, help: "Distinct keys.")
    var distinct = 1_000_000

    @Option(name: .long, help: "How many times each key is streamed.")
    var times = 20

    @Option(name: .long, help: "Key kind: integer or text.")
    var keys: SyntheticRows.KeyKind = .integer

    @Option(name: .long, help: "Timing runs; the median is printed.")
    var repeats = 3

    func run() throws {
        let batches = SyntheticRows(kind: keys, count: distinct, seed: 42).batches()
        let rawBytes = batches.reduce(0) { $0 + $1.byteCount }
        let rows = distinct * times
        print("nameindex-bench repeats: \(distinct.formatted()) distinct \(keys) keys, each \(times) times (\(rows.formatted()) rows), median of \(repeats)")
        var times: [Double] = []
        var peaks: [Int] = []
        var table: KeyTable?
        for _ in 0..<repeats {
            table = nil
            let before = ProcessMemory.read().rss
            ProcessMemory.resetPeak()
            let clock = ContinuousClock()
            let start = clock.now
            let builder = KeyTableBuilder()
            for _ in 0..<self.times {
                for batch in batches { try builder.add(batch) }
            }
            table = try builder.finish()
            times.append(Figures.seconds(clock.now - start))
            peaks.append(ProcessMemory.read().peak - before)
        }
        let built = table!
        let seconds = Figures.median(times)
        print(String(format: "build            %.3f s, %.2f M rows/s (one core)", seconds, Double(rows) / seconds / 1e6))
        print("table            \(built.count.formatted()) keys, \(built.duplicates.formatted()) duplicates, \(Figures.mib(built.memoryBytes))")
        print("peak RSS (build) \(Figures.mib(peaks.sorted()[peaks.count / 2])) above the input; the rows streamed hold \(Figures.mib(rawBytes * self.times)) of keys and names")
    }
}
