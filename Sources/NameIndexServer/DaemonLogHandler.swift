#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Writes log lines to standard error in the form journald understands.
///
/// Under systemd (`$JOURNAL_STREAM` set) each line starts with the syslog
/// priority, `<3>` for errors through `<7>` for debug, so `journalctl -p`
/// works. Metadata follows the message as `key=value`.
public struct DaemonLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let withPriorityPrefix: Bool

    public init(label: String, level: Logger.Level, withPriorityPrefix: Bool) {
        self.label = label
        self.logLevel = level
        self.withPriorityPrefix = withPriorityPrefix
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
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
