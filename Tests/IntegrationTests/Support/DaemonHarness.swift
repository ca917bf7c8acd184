#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

/// Where the built products live: beside this test bundle.
enum Products {
    static let directory: URL = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // The test runner may live inside a bundle directory below the products.
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("nameindexd").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url
    }()

    static var nameindexd: String { directory.appendingPathComponent("nameindexd").path }
    static var namectl: String { directory.appendingPathComponent("namectl").path }
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// The outcome of running a program to completion.
struct ProgramResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` and waits for it.
func runProgram(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, currentDirectory: String? = nil
) throws -> ProgramResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    // Both outputs go to files, so neither a child that fills one nor a daemon it starts (which may
    // inherit them) can block us: we wait for the program itself, not for the end of its output.
    let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-stdout-\(UUID())").path
    let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-stderr-\(UUID())").path
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    defer {
        try? outHandle.close()
        try? errHandle.close()
    }
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    let read = { (path: String) in
        String(decoding: (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd()) ?? Data(), as: UTF8.self)
    }
    return ProgramResult(
        status: process.terminationStatus, stdout: read(outPath),
        stderr: read(errPath))
}

/// A real nameindexd process on a private runtime directory, with its own
/// configuration and data files in a temporary directory.
final class DaemonHarness {
    let directory: URL
    let process = Process()
    let logFile: URL

    var runtimeDirectory: String { directory.appendingPathComponent("run").path }
    var stateDirectory: String { directory.appendingPathComponent("state").path }
    var snapshotPath: String { stateDirectory + "/index.snapshot" }
    var socketPath: String { runtimeDirectory + "/control" }
    var configurationPath: String { directory.appendingPathComponent("nameindexd.toml").path }
    var client: NameIndexClient { NameIndexClient(socketPath: socketPath) }

    /// Whether the directory is removed with this harness (not when a restarted one takes it over).
    private var ownsDirectory = true

    /// Writes `configuration` and `files` (name → contents) into a fresh directory.
    init(configuration: String, files: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-it-\(UUID().uuidString.prefix(8))")
        logFile = directory.appendingPathComponent("nameindexd.log")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try configuration.write(toFile: configurationPath, atomically: true, encoding: .utf8)
        for (name, contents) in files { try write(name, contents) }
    }

    private init(reusing directory: URL) {
        self.directory = directory
        logFile = directory.appendingPathComponent("nameindexd-\(UUID().uuidString.prefix(4)).log")
    }

    /// A new, not yet started daemon on this one's directory, configuration, data and state.
    func restarted() throws -> DaemonHarness {
        precondition(!process.isRunning, "stop the daemon before restarting it")
        ownsDirectory = false
        return DaemonHarness(reusing: directory)
    }

    func write(_ name: String, _ contents: String) throws {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Starts the daemon and waits until its control socket reports a finished first load.
    func start(extraArguments: [String] = [], environment extra: [String: String] = [:]) async throws {
        try launch(extraArguments: extraArguments, environment: extra)
        try await waitUntilLoaded()
    }

    /// Starts the daemon without waiting for anything.
    func launch(extraArguments: [String] = [], environment extra: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: Products.nameindexd)
        process.arguments =
            ["--config", configurationPath, "--runtime-dir", runtimeDirectory, "--state-dir", stateDirectory] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.merge(extra) { $1 }
        process.environment = environment
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.standardError = log
        process.standardOutput = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    func waitUntilLoaded(within limit: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                Issue.record("nameindexd exited with \(process.terminationStatus) before serving:\n\(self.log)")
                throw HarnessError.daemonDidNotStart
            }
            if let status = try? await client.status(), status.state == .serving || status.state == .failed {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("nameindexd did not start serving within \(limit):\n\(log)")
        throw HarnessError.daemonDidNotStart
    }

    /// Waits until the file `name` exists in the daemon's directory (a source's signal that it
    /// got somewhere); 60 s at most, which only a wedged daemon needs.
    func waitForFile(_ name: String) async throws {
        let path = directory.appendingPathComponent(name).path
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: path) {
            guard ContinuousClock.now < deadline else {
                Issue.record("\(name) did not appear within 60 s:\n\(log)")
                throw HarnessError.daemonDidNotStart
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until `generation` (or a later one) serves; 60 s at most.
    func waitForGeneration(_ generation: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try await client.status().generation < generation {
            guard ContinuousClock.now < deadline else {
                Issue.record("generation \(generation) did not serve within 60 s:\n\(log)")
                throw HarnessError.daemonDidNotStart
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// What the daemon logged so far.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Runs namectl against this daemon.
    func namectl(_ arguments: [String]) throws -> ProgramResult {
        try runProgram(Products.namectl, ["--socket", socketPath] + arguments)
    }

    /// Sends `signal` and waits for the process to exit; returns its exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) async throws -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("nameindexd did not exit within 60 s of signal \(signal)")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }
}

enum HarnessError: Error {
    case daemonDidNotStart
}

/// The configuration most integration tests use: two sources for `user`, one for `country`.
enum Fixture {
    static let configuration = """
        [[source]]
        name = "employees"
        namespace = "user"
        kind = "file"
        path = "employees.tsv"
        header = true

        [[source]]
        name = "contractors"
        namespace = "user"
        kind = "file"
        path = "contractors.tsv"

        [[source]]
        name = "countries"
        namespace = "country"
        kind = "file"
        path = "countries.tsv"

        """

    static let files = [
        "employees.tsv": "id\tname\n42\tZoë Martin\n1022\t王小明\n1001\tAna Souza\n\tno key\nbroken line\n",
        "contractors.tsv": "2001\tMateo Fernández\n1001\tAna (contractor)\n",
        "countries.tsv": "JP\t日本\nDE\tDeutschland\n",
    ]
}
