#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import NameIndexClient
import NameIndexProtocol

/// Options every verb takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's control socket.", valueName: "path"))
    var socket: String?

    @Flag(name: .long, help: "Print JSON (the daemon's reply) instead of text.")
    var json = false

    @Flag(name: .customLong("no-legend"), help: "Do not print column headers.")
    var noLegend = false

    @Flag(name: .customLong("no-pager"), help: "Do not pipe output into a pager (namectl never pages; accepted for systemctl habits).")
    var noPager = false

    /// These options, with anything unset taken from `outer` (the options given before the verb).
    func merged(with outer: GlobalOptions) -> GlobalOptions {
        var merged = self
        merged.socket = socket ?? outer.socket
        merged.json = json || outer.json
        merged.noLegend = noLegend || outer.noLegend
        merged.noPager = noPager || outer.noPager
        return merged
    }

    /// The socket to use: --socket, $NAMEINDEXD_SOCKET, the user's own daemon, the system daemon.
    var socketPath: String {
        if let socket { return socket }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["NAMEINDEXD_SOCKET"], !path.isEmpty { return path }
        let uid = getuid()
        if uid != 0 {
            let own = RuntimePaths.controlSocket(in: RuntimePaths.userRuntimeDirectory(uid: uid, environment: environment))
            if FileManager.default.fileExists(atPath: own) { return own }
        }
        return RuntimePaths.controlSocket(in: RuntimePaths.systemRuntimeDirectory)
    }

    var client: NameIndexClient { NameIndexClient(socketPath: socketPath) }
}

/// Runs a verb's body, turning client errors into one line on stderr and exit status 1.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as NameIndexClientError {
        printError(error.message)
        throw ExitCode.failure
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Prints `value` as one line of JSON on stdout, flushed at once: a reader of a streamed reload
/// (`reload --wait --json | jq`) sees each reply when it arrives, not when namectl exits.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
    fflush(nil)
}
