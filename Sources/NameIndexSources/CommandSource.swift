#if canImport(Glibc)
import Glibc
#endif
import CNameIndexShims
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
    /// `delta_command`: prints the rows changed since `{watermark}` (key, name, deleted flag,
    /// watermark) in the rows' format.
    public var deltaCommand: [String]?
    /// `watermark_command`: prints where the deltas start after a full load.
    public var watermarkCommand: [String]?
    /// Whether this fetch reads a delta's rows.
    var delta = false

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
        return try await output(of: checkCommand, what: "check_command", limit: Self.maximumCheckOutputBytes)
    }

    /// The non-empty lines `command` prints, joined, at most `limit` bytes.
    private func output(of command: [String], what: String, limit: Int) async throws -> String {
        // One column used as key and name: every non-empty line is kept as it is. Small
        // batches and short lines, so the limit is checked before much is held.
        var lines = CommandSource(
            name: name, namespace: namespace, arguments: command,
            rows: RowFormat(
                format: .tsv, header: false, keyColumn: .number(1), nameColumn: .number(1),
                maximumLineBytes: max(limit, RowFormat.maximumLineBytesRange.lowerBound)),
            workingDirectory: workingDirectory)
        lines.batchRows = 16
        lines.dropPrefix = dropPrefix
        lines.detectsPreamble = false
        var output: [String] = []
        var bytes = 0
        try await lines.fetch(.whole) { batch in
            bytes += batch.byteCount / 2 + batch.count + batch.skipped.tooLong * limit
            guard bytes <= limit else {
                throw SourceError(code: .io, message: "\(what) '\(command[0])' printed more than \(limit) bytes")
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
        // Standard output is a pipe of our own, read without epoll: Subprocess keeps the
        // descriptor registered edge-triggered, which wakes a thread for every write, and a
        // program that writes a row at a time (beeline) then costs a wake-up per row.
        let pipe = try OutputPipe()
        let result: ExecutionResult<[String], FileDescriptorOutput, SequenceOutput>
        do {
            result = try await withTaskCancellationHandler {
                try await Subprocess.run(
                    executable, arguments: Arguments(Array(argv.dropFirst())),
                    workingDirectory: workingDirectory.map { FilePath($0) }, platformOptions: options,
                    input: .none, output: .fileDescriptor(FileDescriptor(rawValue: pipe.takeWriteEnd()), closeAfterSpawningProcess: true),
                    error: .sequence
                ) { execution in
                    let pid = execution.processIdentifier.value
                    group.started(pid)
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
                            preamble: RowStream.Preamble(pattern: prefix, detects: detects), delta: delta)
                        try await pipe.read(until: { Self.hasExited(pid) }) { bytes in
                            if let full = try stream.parse(bytes) { try await deliver(full) }
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

extension CommandSource: DeltaFetching {
    /// Runs `delta_command` with `{watermark}` in its arguments replaced by `watermark`.
    public func fetchDelta(since watermark: String, deliver: (RowBatch) async throws -> Void) async throws {
        guard let deltaCommand, !deltaCommand.isEmpty else {
            throw SourceError(code: .invalidConfiguration, message: "Source '\(name)' has no delta_command")
        }
        var run = CommandSource(
            name: name, namespace: namespace, arguments: deltaCommand.map { $0.replacing("{watermark}", with: watermark) },
            rows: rows, workingDirectory: workingDirectory)
        run.delta = true
        run.detectsPreamble = false
        run.dropPrefix = dropPrefix
        run.batchRows = batchRows
        try await run.fetch(.whole, deliver: deliver)
    }

    /// What `watermark_command` prints (its lines joined, at most ``Watermark/maximumBytes``);
    /// nil when it prints nothing.
    public func startingWatermark() async throws -> String? {
        guard let watermarkCommand, !watermarkCommand.isEmpty else { return nil }
        let text = try await output(of: watermarkCommand, what: "watermark_command", limit: Watermark.maximumBytes)
        return text.isEmpty ? nil : text
    }
}

extension CommandSource {
    /// Whether the program `pid` has exited (it stays a zombie for Subprocess to reap; one it
    /// has reaped already counts as exited).
    static func hasExited(_ pid: pid_t) -> Bool { nameindex_child_exited(pid) != 0 }
}

/// The pipe a program writes its standard output to, read here without epoll: a non-blocking
/// read, and after a short one a pause chosen by ``ReadCoalescer``.
final class OutputPipe: @unchecked Sendable {  // used by one fetch at a time
    private let readEnd: Int32
    private var writeEnd: Int32
    private let capacity: Int
    /// Bytes per read: a pipe can be made to hold up to 1 MiB (pipe-max-size), so one read takes it all.
    static let bufferBytes = 1 << 20

    init() throws(SourceError) {
        var ends: [Int32] = [-1, -1]
        guard nameindex_output_pipe(&ends) == 0 else {
            throw SourceError(code: .io, message: "Cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        readEnd = ends[0]
        writeEnd = ends[1]
        // A larger pipe lets a fast program write on while we parse; best effort.
        capacity = Int(max(65536, nameindex_pipe_resize(readEnd, Int32(Self.bufferBytes))))
    }

    deinit {
        close(readEnd)
        if writeEnd >= 0 { close(writeEnd) }
    }

    /// The write end, for the program; the pipe no longer closes it.
    func takeWriteEnd() -> Int32 {
        defer { writeEnd = -1 }
        return writeEnd
    }

    /// Hands every chunk read to `body` until the end of the output: end of file, or the
    /// program has exited and nothing is left (what it left running may hold the pipe open;
    /// its group is killed afterwards).
    func read(until exited: () -> Bool, _ body: (UnsafeRawBufferPointer) async throws -> Void) async throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferBytes, alignment: 16)
        defer { buffer.deallocate() }
        var coalescer = ReadCoalescer(pipeBytes: capacity)
        while true {
            try Task.checkCancellation()
            let count = Glibc.read(readEnd, buffer.baseAddress, buffer.count)
            if count > 0 {
                try await body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            } else if count == 0 {
                return
            } else if errno == EINTR {
                continue
            } else if errno != EAGAIN {
                throw SourceError(code: .io, message: "Cannot read the program's output: \(String(cString: strerror(errno)))")
            } else if exited() {
                // Exited, and nothing more came after it did: read once more and stop.
                let last = Glibc.read(readEnd, buffer.baseAddress, buffer.count)
                if last > 0 {
                    try await body(UnsafeRawBufferPointer(rebasing: buffer[0..<last]))
                    continue
                }
                return
            }
            if let pause = coalescer.pause(after: max(0, count)) { try await Task.sleep(for: pause) }
        }
    }
}

/// How long to wait before the next read of a program's output, so that a program that writes
/// a row at a time (beeline does) costs one wake-up per many rows rather than per row: each
/// wake-up costs tens of microseconds of thread switches, a row a few hundred nanoseconds.
///
/// The pause adapts to the program's pace so that a read finds the pipe (up to 1 MiB) between a
/// quarter and three quarters full: a shorter read doubles it (from 1 ms, up to
/// ``maximumPause``), a fuller one halves it, down to none for a program that writes faster
/// than we read, which is never paused and never blocked on a full pipe. A slow program's
/// rows arrive at most ``maximumPause`` later.
struct ReadCoalescer {
    let pipeBytes: Int
    static let firstPause = Duration.milliseconds(1)
    static let maximumPause = Duration.milliseconds(50)
    private(set) var current = Duration.zero

    /// The pause before the next read, after a read of `bytes`; nil for none.
    mutating func pause(after bytes: Int) -> Duration? {
        if bytes >= pipeBytes * 3 / 4 {
            current = current / 2 < Self.firstPause ? .zero : current / 2
        } else if bytes < pipeBytes / 4 {
            current = current == .zero ? Self.firstPause : min(current * 2, Self.maximumPause)
        }
        return current == .zero ? nil : current
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
