import ArgumentParser

/// Benchmarks for nameindex; see bench/README.md. Build with `-c release`.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nameindex-bench",
        abstract: "Measure the nameindex index, snapshot and daemon.",
        subcommands: [IndexBenchmark.self, RepeatsBenchmark.self, FetchBenchmark.self, WarehouseBenchmark.self, DeltaBenchmark.self])
}
