#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ServiceLifecycle

/// Writes the metrics to `metrics_textfile` every `metrics_interval`, for node_exporter's
/// textfile collector: into a temporary file beside it, then renamed over it, so that a reader
/// sees the old file or the new one, never half of one. A failed write is logged (at most
/// once until one succeeds) and tried again at the next interval.
struct MetricsTextfileService: Service {
    let path: String
    let interval: Duration
    let render: @Sendable () async -> String
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await writeUntilCancelled() }
    }

    private func writeUntilCancelled() async {
        var failing = false
        while !Task.isCancelled {
            let text = await render()
            do {
                try Self.write(text, to: path)
                if failing { logger.info("Writing the metrics to \(path) works again.") }
                failing = false
            } catch {
                if !failing { logger.warning("Cannot write the metrics to \(path): \(error); trying again every \(TimeSpan.format(interval)).") }
                failing = true
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    /// `text` into `path`, atomically: a temporary file in the same directory, renamed over it.
    static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644])
        else { throw MetricsWriteError(message: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw MetricsWriteError(message: "cannot rename \(temporary): \(reason)")
        }
    }
}

struct MetricsWriteError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
