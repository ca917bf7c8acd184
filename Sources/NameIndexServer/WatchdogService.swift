import Logging
import NameIndexClient
import ServiceLifecycle
import Systemd

/// Pings systemd's watchdog (`WATCHDOG=1`) at half of `WATCHDOG_USEC`, but only after a health
/// probe of the serving path succeeds: a `Status` call and a `Lookup` over the control socket,
/// through the same event loops and handler that serve clients (the lookup reads the serving
/// index as any client's does). A wedged server stops the pings, and systemd restarts the daemon.
struct WatchdogService: Service {
    let interval: Duration
    let socketPath: String
    let notifier: Notifier
    let logger: Logger

    func run() async throws {
        let period = interval / 2
        let client = NameIndexClient(socketPath: socketPath)
        var failing = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let healthy = await probe(client, within: period)
            if healthy {
                notifier.notify(.watchdog)
                if failing { logger.notice("Watchdog probe succeeds again.") }
            } else if !failing {
                logger.warning("Watchdog probe of \(socketPath) failed; not pinging the watchdog.")
            }
            failing = !healthy
            do { try await Task.sleep(for: period) } catch { return }
        }
    }

    /// Whether a `Status` call and then a `Lookup` are answered within `limit`.
    private func probe(_ client: NameIndexClient, within limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await Self.serves(client) }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// `Status`, then a `Lookup` of one key in the first namespace (any reply counts, a
    /// `NoSuchNamespace` error too: the question is whether the path answers, not the key).
    static func serves(_ client: NameIndexClient) async -> Bool {
        guard let status = try? await client.status() else { return false }
        do {
            _ = try await client.lookup(namespace: status.namespaces.first?.name ?? "", keys: ["0"])
            return true
        } catch let error as NameIndexClientError {
            return error.code == .remote
        } catch {
            return false
        }
    }
}
