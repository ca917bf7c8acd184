import Logging
import NameIndexClient
import ServiceLifecycle
import Systemd

/// Pings systemd's watchdog (`WATCHDOG=1`) at half of `WATCHDOG_USEC`, but only after a health
/// probe of the serving path succeeds: a `Status` call and a `Lookup` over the control socket,
/// through the same event loops and handler that serve clients (the lookup reads the serving
/// index as any client's does), and a `PING` over the lookup socket when it is served, through
/// its own event loops. A wedged server of either socket stops the pings, and systemd restarts
/// the daemon.
struct WatchdogService: Service {
    let interval: Duration
    let socketPath: String
    let notifier: Notifier
    let logger: Logger
    /// The lookup socket, when this daemon serves one.
    var lookup: LookupSocketProbe?

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
            let lookup = self.lookup
            group.addTask {
                guard let generation = await Self.serves(client) else { return false }
                // Before the first generation the lookup socket holds requests until it serves
                // (by design), so it is probed from then on.
                guard generation > 0, let lookup else { return true }
                return await lookup.ping(within: limit)
            }
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
    /// The serving generation (0 before the first) when both are answered; nil otherwise.
    static func serves(_ client: NameIndexClient) async -> UInt64? {
        guard let status = try? await client.status() else { return nil }
        do {
            _ = try await client.lookup(namespace: status.namespaces.first?.name ?? "", keys: ["0"])
            return status.generation
        } catch let error as NameIndexClientError {
            return error.code == .remote ? status.generation : nil
        } catch {
            return nil
        }
    }
}
