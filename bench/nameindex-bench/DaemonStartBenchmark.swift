#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexCore
import NameIndexServer
import Systemd

/// Where the daemon binary is: beside this benchmark (both built with `-c release`).
enum Binaries {
    static var nameindexd: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("nameindexd").path
    }
}

extension Binaries {
    /// A daemon configuration with one file source, `users` (namespace `user`, file `users.tsv`),
    /// and its sockets and state under `directory`.
    static func configuration(directory: String, refreshOnStart: Bool) -> String {
        """
        [daemon]
        runtime_directory = "\(directory)/run"
        state_directory = "\(directory)/state"
        refresh_on_start = \(refreshOnStart)

        [[source]]
        name = "users"
        namespace = "user"
        kind = "file"
        path = "users.tsv"

        """
    }
}

/// Runs the real nameindexd as systemd would (NOTIFY_SOCKET set) and times it.
struct DaemonRun {
    let directory: String
    let process = Process()
    let receiver: NotifySocketReceiver

    init(directory: String, arguments: [String]) throws {
        self.directory = directory
        let socket = directory + "/notify-\(UUID().uuidString.prefix(6))"
        receiver = try NotifySocketReceiver(path: socket)
        process.executableURL = URL(fileURLWithPath: Binaries.nameindexd)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = socket
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
    }

    /// Starts the daemon and returns the seconds until it sent READY=1, and that message.
    func startUntilReady(timeout: Duration = .seconds(600)) throws -> (Double, String) {
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        let messages = receiver.collect(timeout: timeout) { $0.contains("READY=1") }
        guard let ready = messages.last, ready.contains("READY=1") else {
            stop()
            throw BenchError("nameindexd sent no READY=1 (is \(Binaries.nameindexd) built with -c release?)")
        }
        return (Figures.seconds(clock.now - start), ready)
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }
}

enum Programs {
    /// Starts every program at once, its standard output (and error) to /dev/null; the seconds
    /// until the last one ends. One that fails is an error.
    static func runAtOnce(_ commands: [(program: String, arguments: [String])]) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        var processes: [Process] = []
        for command in commands {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command.program)
            process.arguments = command.arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
        for process in processes {
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw BenchError("\(process.executableURL?.lastPathComponent ?? "a program") failed (\(process.terminationStatus))")
            }
        }
        return Figures.seconds(clock.now - start)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Time from process start to READY=1 when the daemon starts from a snapshot of `index`.
struct DaemonStartBenchmark {
    let work: String
    let index: Index
    let repeats: Int

    func run() async throws {
        let directory = work + "/warm-start"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory + "/state", withIntermediateDirectories: true)
        let configuration = Binaries.configuration(directory: directory, refreshOnStart: false)
        try configuration.write(toFile: directory + "/nameindexd.toml", atomically: true, encoding: .utf8)
        let fingerprint = try ConfigurationLoader().load(
            path: directory + "/nameindexd.toml",
            defaults: ConfigurationDefaults(coreCount: System.coreCount, runtimeDirectory: directory, stateDirectory: directory + "/state")
        ).sourceFingerprint
        try SnapshotFile.write(index, fingerprint: fingerprint, to: directory + "/state/index.snapshot")
        var times: [Double] = []
        var rss = 0
        for _ in 0..<repeats {
            let daemon = try DaemonRun(directory: directory, arguments: ["--config", directory + "/nameindexd.toml"])
            let (seconds, ready) = try daemon.startUntilReady(timeout: .seconds(60))
            guard ready.contains("Serving snapshot of generation") else {
                daemon.stop()
                throw BenchError("the daemon did not start from the snapshot: \(ready)")
            }
            // The answer must be right, not only fast.
            let status = try await NameIndexClient(socketPath: directory + "/run/control").status()
            precondition(status.entries == index.entryCount && status.servingSnapshot)
            rss = ProcessMemory.read(pid: daemon.process.processIdentifier).rss
            daemon.stop()
            times.append(seconds)
        }
        print(String(format: "warm start       READY=1 %.3f s after process start (daemon RSS then %@)",
                     Figures.median(times), Figures.mib(rss)))
    }
}

/// One full load by a fresh daemon (no snapshot): what it took and what it cost.
struct DaemonLoad {
    var loadSeconds: Double
    var readySeconds: Double
    var entries: Int
    var indexBytes: Int
    var peakRSS: Int
    /// The daemon's own user + system CPU time until READY (its children's not counted), per row loaded.
    var cpuNanosecondsPerRow: Double
    var skipped: Int

    /// Starts nameindexd on `configuration` (written to `directory`, emptied first), waits for
    /// READY=1, reads its Status, CPU time and peak RSS, and stops it. A source that failed is an error.
    static func measure(directory: String, configuration: String) async throws -> DaemonLoad {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory + "/state", withIntermediateDirectories: true)
        try configuration.write(toFile: directory + "/nameindexd.toml", atomically: true, encoding: .utf8)
        let daemon = try DaemonRun(directory: directory, arguments: ["--config", directory + "/nameindexd.toml"])
        let (seconds, _) = try daemon.startUntilReady(timeout: .seconds(3600))
        // At READY, before the snapshot write that follows the swap has done much.
        let cpu = ProcessMemory.cpuSeconds(pid: daemon.process.processIdentifier)
        let status = try await NameIndexClient(socketPath: directory + "/run/control").status()
        let memory = ProcessMemory.read(pid: daemon.process.processIdentifier)
        daemon.stop()
        guard status.sources.allSatisfy({ $0.state == .loaded }) else {
            throw BenchError("a source failed: \(status.sources.compactMap(\.lastError))")
        }
        return DaemonLoad(
            loadSeconds: Double(status.loadDurationUSec ?? 0) / 1e6, readySeconds: seconds, entries: status.entries,
            indexBytes: status.indexBytes, peakRSS: memory.peak,
            cpuNanosecondsPerRow: cpu * 1e9 / Double(max(1, status.entries)),
            skipped: status.sources.reduce(0) { $0 + $1.skippedNull + $1.skippedEmpty + $1.skippedInvalidUTF8 + $1.skippedMalformed + $1.skippedTooLong })
    }
}
