#if canImport(Glibc)
import Glibc
#endif
import NameIndexCore
import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Rows printed by a program on its standard output (`kind = "command"`):
/// the bridge to Hive (`beeline`, `hive -e`), Trino, Spark SQL, BigQuery,
/// `sqlite3`, `psql`, `duckdb` — any engine with a command-line client.
///
/// The program runs from an argv array, never through a shell, in a process
/// group of its own. Its output is parsed as it arrives (TSV, CSV or NDJSON).
/// A non-zero exit fails the fetch with the last lines of its standard error;
/// a cancelled fetch (a deadline, a stall, a shutdown) kills the whole process
/// group, so no child of the program is left behind.
public struct CommandSource: Source, PartitionFetcher {
    public let name: String
    public let namespace: String
    public var kind: String { "command" }
    public var worksElsewhere: Bool { true }
    /// The program and its arguments; `{partition}` and `{partitions}` are substituted.
    public let arguments: [String]
    public let rows: RowFormat
    /// Where the program runs; nil: the daemon's own working directory.
    public let workingDirectory: String?
    public var batchRows = 8192
    /// Lines of standard error kept for the error message.
    public var stderrLines = 5
    /// `check_command`: what it prints, run at every check, changes when the data does.
    public var checkCommand: [String]?
    /// `drop_prefix`: a regular expression; what it matches at the start of the output (and of
    /// `check_command`'s) is dropped, such as the prompt beeline prints before the first row.
    public var dropPrefix: String?

    /// `pattern` as a regular expression, or the error that says why it is not one.
    public static func compiledPrefix(_ pattern: String) throws(SourceError) -> Regex<AnyRegexOutput> {
        do {
            return try Regex(pattern)
        } catch {
            throw SourceError(code: .invalidConfiguration, message: "drop_prefix '\(pattern)' is not a regular expression: \(error)")
        }
    }

    /// The most output `check_command` may print: its value is a token to compare, not data.
    public static let maximumCheckOutputBytes = 65_536

    /// Runs `check_command` in the same way as the fetch (no shell, own process group) and
    /// returns its output lines, joined.
    ///
    /// - Throws: ``SourceError`` when it fails, or prints more than
    ///   ``maximumCheckOutputBytes`` (it is killed then).
    public func changeToken() async throws -> String? {
        guard let checkCommand, !checkCommand.isEmpty else { return nil }
        // One column used as key and name: every non-empty line is kept as it is. Small
        // batches and short lines, so the limit is checked before much is held.
        var lines = CommandSource(
            name: name, namespace: namespace, arguments: checkCommand,
            rows: RowFormat(
                format: .tsv, header: false, keyColumn: .number(1), nameColumn: .number(1),
                maximumLineBytes: Self.maximumCheckOutputBytes),
            workingDirectory: workingDirectory)
        lines.batchRows = 16
        lines.dropPrefix = dropPrefix
        lines.detectsPreamble = false
        var output: [String] = []
        var bytes = 0
        try await lines.fetch(.whole) { batch in
            bytes += batch.byteCount / 2 + batch.count + batch.skipped.tooLong * Self.maximumCheckOutputBytes
            guard bytes <= Self.maximumCheckOutputBytes else {
                throw SourceError(
                    code: .io,
                    message: "check_command '\(checkCommand[0])' printed more than \(Self.maximumCheckOutputBytes) bytes")
            }
            batch.forEach { key, _ in output.append(String(decoding: key, as: UTF8.self)) }
        }
        return output.joined(separator: "\n")
    }

    /// Whether a first line unlike the rest is reported (for rows, not for `check_command`).
    var detectsPreamble = true

    public init(name: String, namespace: String, arguments: [String], rows: RowFormat, workingDirectory: String? = nil) {
        precondition(!arguments.isEmpty, "a command needs a program")
        self.name = name
        self.namespace = namespace
        self.arguments = arguments
        self.rows = rows
        self.workingDirectory = workingDirectory
    }

    /// The argv for `partition`, with `{partition}` (0-based) and `{partitions}` replaced.
    public func argv(for partition: Partition) -> [String] {
        arguments.map(partition.substituted(in:))
    }

    public func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
        let argv = argv(for: partition)
        let program = argv[0]
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        var options = PlatformOptions()
        options.processGroupID = 0  // a group of its own, led by the program: killed as a whole
        let group = ProcessGroup()
        let label = "command '\(program)'"
        let format = rows
        let batchRows = batchRows
        let keep = stderrLines
        let prefix = try dropPrefix.map { pattern throws(SourceError) in try Self.compiledPrefix(pattern) }
        let detects = detectsPreamble
        let result: ExecutionResult<[String], SequenceOutput, SequenceOutput>
        do {
            result = try await withTaskCancellationHandler {
                try await Subprocess.run(
                    executable, arguments: Arguments(Array(argv.dropFirst())),
                    workingDirectory: workingDirectory.map { FilePath($0) }, platformOptions: options,
                    input: .none, output: .sequence, error: .sequence
                ) { execution in
                    group.started(execution.processIdentifier.value)
                    return try await withThrowingTaskGroup(of: [String].self) { tasks in
                        tasks.addTask {
                            // Keep the last lines of standard error; never more.
                            var tail = StderrTail(lines: keep)
                            for try await buffer in execution.standardError {
                                buffer.withUnsafeBytes { tail.append($0) }
                            }
                            return tail.lines
                        }
                        var stream = RowStream(
                            format: format, batchRows: batchRows, label: label,
                            preamble: RowStream.Preamble(pattern: prefix, detects: detects))
                        for try await buffer in execution.standardOutput {
                            try Task.checkCancellation()
                            if let full = try buffer.withUnsafeBytes({ try stream.parse($0) }) { try await deliver(full) }
                        }
                        try await stream.finish(deliver: deliver)
                        return try await tasks.next() ?? []
                    }
                }
            } onCancel: {
                group.kill()
            }
        } catch let error as SourceError {
            group.kill()
            throw error
        } catch {
            group.kill()
            if Task.isCancelled { throw CancellationError() }
            throw SourceError(code: .io, message: "Failed to run \(label): \(error)")
        }
        // The program is done; anything it left running in its group goes too.
        group.kill()
        // Killed because the fetch was cancelled: that is the outcome, not the signal.
        if Task.isCancelled { throw CancellationError() }
        guard result.terminationStatus.isSuccess else {
            let tail = result.closureResult.joined(separator: "\n")
            throw SourceError(
                code: .io,
                message: "\(label) failed (\(result.terminationStatus))" + (tail.isEmpty ? "" : ": \(tail)"))
        }
    }
}

/// The process group of a running command, killed at most usefully once it is known.
private final class ProcessGroup: Sendable {
    private let id = Mutex<pid_t?>(nil)

    func started(_ pid: pid_t) { id.withLock { $0 = pid } }

    /// Sends SIGKILL to every process of the group (the group id is the program's pid).
    func kill() {
        if let pid = id.withLock({ $0 }), pid > 0 { Glibc.kill(-pid, SIGKILL) }
    }
}

/// What a failed program said, for error messages: the last few lines of its standard
/// error, without the stack frames of a JVM client (`\tat …`, `... 22 more`), after the first
/// line that starts with `Error` (beeline prints its message first and the trace after it).
struct StderrTail {
    private let limit: Int
    private var partial: [UInt8] = []
    private(set) var complete: [String] = []
    private var headline: String?

    init(lines: Int) { limit = lines }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            if byte == 0x0A {
                let line = String(decoding: partial, as: UTF8.self)
                partial.removeAll(keepingCapacity: true)
                guard !Self.isStackFrame(line) else { continue }
                if headline == nil, line.hasPrefix("Error") || line.hasPrefix("ERROR") { headline = line }
                complete.append(line)
                if complete.count > limit { complete.removeFirst() }
            } else if partial.count < 1000 {
                partial.append(byte)
            }
        }
    }

    /// `\tat org.apache…(File.java:12)`, `\t... 22 more`, with whatever follows them.
    static func isStackFrame(_ line: String) -> Bool {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.count < line.count else { return false }
        return trimmed.hasPrefix("at ") || trimmed.hasPrefix("... ")
    }

    var lines: [String] {
        let last = partial.isEmpty || Self.isStackFrame(String(decoding: partial, as: UTF8.self))
            ? complete : complete + [String(decoding: partial, as: UTF8.self)]
        var kept = Array(last.filter { !$0.isEmpty }.suffix(limit))
        if let headline, !kept.contains(headline) { kept.insert(headline, at: 0) }
        return kept
    }
}
