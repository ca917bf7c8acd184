#if canImport(Glibc)
import Glibc
#endif
import Logging
import Systemd

/// Writes the daemon's log: to the journal with structured fields when its
/// standard error is the journal, as plain lines on standard error otherwise.
///
/// - `.journal`: one `sd_journal_sendv(3)` entry per event, with `MESSAGE=`,
///   `PRIORITY=`, `SYSLOG_IDENTIFIER=nameindexd`, the code location, and each
///   metadata key as an upper-case field (`SOURCE=`, `NAMESPACE=`,
///   `PARTITION=`, `GENERATION=`, `ROWS=`), so `journalctl SOURCE=users` finds
///   a source's lines. If journald refuses an entry, the line goes to
///   standard error with its priority prefix instead.
/// - `.stderr(withPriorityPrefix:)`: one line per event; with the prefix
///   (`<3>` for errors through `<7>` for debug) journald still gets the
///   priority when stderr is a journal stream. Metadata follows the message
///   as `key=value`.
public struct DaemonLogHandler: LogHandler {
    public enum Output: Sendable, Equatable {
        case journal
        case stderr(withPriorityPrefix: Bool)

        /// The journal when stderr is connected to it (`$JOURNAL_STREAM`), else plain stderr.
        public static func detect(journalStream: String?) -> Output {
            if Journal.stderrIsJournal(environment: journalStream) { return .journal }
            return .stderr(withPriorityPrefix: journalStream != nil)
        }
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let output: Output

    public init(label: String, level: Logger.Level, output: Output) {
        self.label = label
        self.logLevel = level
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        switch output {
        case .journal:
            if Journal.send(Self.journalFields(event: event, metadata: fields)) { return }
            writeLine(event: event, fields: fields, withPriorityPrefix: true)
        case .stderr(let withPriorityPrefix):
            writeLine(event: event, fields: fields, withPriorityPrefix: withPriorityPrefix)
        }
    }

    /// The journal entry for `event`: message, priority, identifier, code location, then metadata.
    public static func journalFields(event: LogEvent, metadata: Logger.Metadata) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("MESSAGE", "\(event.message)"),
            ("PRIORITY", "\(priority(event.level))"),
            ("SYSLOG_IDENTIFIER", "nameindexd"),
            ("CODE_FILE", event.file),
            ("CODE_LINE", "\(event.line)"),
            ("CODE_FUNC", event.function),
        ]
        let reserved = Set(fields.map(\.0))
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard let name = Journal.fieldName(key), !reserved.contains(name) else { continue }
            fields.append((name, "\(value)"))
        }
        return fields
    }

    private func writeLine(event: LogEvent, fields: Logger.Metadata, withPriorityPrefix: Bool) {
        var line = withPriorityPrefix ? "<\(Self.priority(event.level))>" : ""
        if !withPriorityPrefix && event.level >= .warning { line += "\(event.level): " }
        line += "\(event.message)"
        if !fields.isEmpty {
            line += " " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        line += "\n"
        // One write(2) per line, so lines from different threads never interleave.
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
