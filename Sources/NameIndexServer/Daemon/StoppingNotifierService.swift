import ServiceLifecycle
import Systemd

/// Tells systemd `STOPPING=1` the moment a graceful shutdown begins.
///
/// Listed last in the service group, so it is the first to hear of the shutdown.
struct StoppingNotifierService: Service {
    let notifier: Notifier

    func run() async throws {
        try? await gracefulShutdown()
        notifier.notify(.stopping, .status("Shutting down…"))
    }
}
