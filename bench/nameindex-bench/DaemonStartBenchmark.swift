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
