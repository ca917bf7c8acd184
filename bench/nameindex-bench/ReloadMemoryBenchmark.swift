#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexCore

/// Peak memory of the real daemon during a reload, against its steady state.
///
/// The daemon loads a TSV file of the rows, settles, and reloads it once: the
/// old generation serves while the new one is built beside it.
struct ReloadMemoryBenchmark {
    let work: String
    let batches: [RowBatch]

    func run() async throws {
        let directory = work + "/reload"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try writeTSV(to: directory + "/users.tsv")
        let configuration = Binaries.configuration(directory: directory, refreshOnStart: true)
        try configuration.write(toFile: directory + "/nameindexd.toml", atomically: true, encoding: .utf8)
        let daemon = try DaemonRun(directory: directory, arguments: ["--config", directory + "/nameindexd.toml"])
        defer { daemon.stop() }
        let (firstLoad, _) = try daemon.startUntilReady()
        let client = NameIndexClient(socketPath: directory + "/run/control")
        let pid = daemon.process.processIdentifier
        // Let the snapshot write after the first load finish before measuring the steady state.
        while try await client.status().snapshot == nil { try await Task.sleep(for: .milliseconds(50)) }
        let steady = ProcessMemory.read(pid: pid).rss
        let indexBytes = try await client.status().indexBytes
        ProcessMemory.resetPeak(pid: pid)
        let clock = ContinuousClock()
        let start = clock.now
        _ = try await client.reload()
        let reload = Figures.seconds(clock.now - start)
        let peak = ProcessMemory.read(pid: pid).peak
        print(String(format: "daemon load      first load %.2f s, reload %.2f s (TSV file source, parse included)", firstLoad, reload))
        print(String(format: "reload memory    steady RSS %@ (index %@); peak RSS during reload %@ = %.2f x steady RSS, %.2f x index",
                     Figures.mib(steady), Figures.mib(indexBytes), Figures.mib(peak),
                     Double(peak) / Double(steady), Double(peak) / Double(indexBytes)))
    }

    private func writeTSV(to path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 22)
        for batch in batches {
            batch.forEach { key, name in
                chunk += key
                chunk.append(0x09)
                chunk += name
                chunk.append(0x0A)
            }
            if chunk.count > 1 << 21 {
                handle.write(Data(chunk))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(chunk))
    }
}
