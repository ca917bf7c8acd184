#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Resident memory of this process (or another), from /proc.
enum ProcessMemory {
    /// A /proc file, read to its end (procfs reports size 0, so size-based reads stop early).
    static func procFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.readToEnd()).map { String(decoding: $0 ?? Data(), as: UTF8.self) }
    }

    /// `VmRSS` and `VmHWM` (peak) in bytes, for `pid` (default: this process).
    static func read(pid: Int32? = nil) -> (rss: Int, peak: Int) {
        let path = pid.map { "/proc/\($0)/status" } ?? "/proc/self/status"
        guard let text = procFile(path) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) } ?? 0
            return kib * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    /// User plus system CPU seconds `pid` has used so far (/proc/PID/stat, fields 14 and 15).
    static func cpuSeconds(pid: Int32) -> Double {
        guard let text = procFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Anonymous memory backed by transparent huge pages (`AnonHugePages`), as text.
    static func hugePages() -> String {
        guard let text = procFile("/proc/self/smaps_rollup"),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("AnonHugePages:") })
        else { return "unknown" }
        return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().joined(separator: " ")
    }

    /// Resets the peak (`VmHWM`) to the current RSS (Linux: write 5 to clear_refs).
    static func resetPeak(pid: Int32? = nil) {
        let path = pid.map { "/proc/\($0)/clear_refs" } ?? "/proc/self/clear_refs"
        let fd = open(path, O_WRONLY)
        if fd >= 0 {
            _ = write(fd, "5", 1)
            close(fd)
        }
    }
}

/// Times in seconds and formatting of figures.
enum Figures {
    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }
}
