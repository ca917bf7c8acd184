import Foundation
import Logging
import NIOCore
import NIOPosix
import NameIndexCore
import NameIndexProtocol
import ServiceLifecycle
import Systemd

/// Facts about the machine.
enum System {
    static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Everything the daemon needs to run, decided before it starts.
public struct DaemonSettings: Sendable {
    public var configuration: Configuration
    public var runtimeDirectory: String
    public var stateDirectory: String
    public var clock: WallClock = .system
    public var notifier = Notifier()
    /// Sockets passed by systemd (socket activation), by `FileDescriptorName=`.
    public var listenDescriptors = ListenFileDescriptors(descriptors: [])

    public init(configuration: Configuration, runtimeDirectory: String, stateDirectory: String) {
        self.configuration = configuration
        self.runtimeDirectory = runtimeDirectory
        self.stateDirectory = stateDirectory
    }

    /// The passed control socket's own path, else the one in the runtime directory.
    public var controlSocketPath: String { passedSocketPath("control") ?? DaemonPaths.controlSocket(in: runtimeDirectory) }

    /// The passed lookup socket's own path, else the one in the runtime directory.
    public var lookupSocketPath: String { passedSocketPath("lookup") ?? RuntimePaths.lookupSocket(in: runtimeDirectory) }

    /// The path a socket systemd passed as `name` is bound to, whatever the runtime directory says.
    private func passedSocketPath(_ name: String) -> String? {
        listenDescriptors.descriptor(named: name).flatMap(ListenFileDescriptors.socketPath(of:))
    }

    /// Whether the daemon binds its sockets itself (and so needs its runtime directory): when
    /// started by hand. Under socket activation the socket units own the directory.
    public var bindsItsOwnSockets: Bool { listenDescriptors.descriptors.isEmpty }

    /// Whether the lookup socket is served: always when started by hand; under socket
    /// activation only when systemd passed it (`nameindexd-lookup.socket`).
    public var servesLookupSocket: Bool { bindsItsOwnSockets || listenDescriptors.descriptor(named: "lookup") != nil }

    /// The snapshot of the last good generation, in the state directory.
    public var snapshotPath: String { "\(stateDirectory)/index.snapshot" }
}

/// Builds the daemon's service group: control server, reload service and
/// the STOPPING=1 notifier, in the order that makes shutdown graceful (the
/// group stops them last to first: notify, cancel a running load and answer
/// its waiters, then close the socket).
public func makeServiceGroup(settings: DaemonSettings, logger: Logger) throws -> ServiceGroup {
    let access = try ControlAccess.resolving(group: settings.configuration.daemon.controlGroup)
    let descriptors = DescriptorBudget.raiseSoftLimit()
    let store = Store()
    let counters = LookupCounters()
    let board = FetchProgressBoard()
    let coordinator = ReloadCoordinator(
        sources: settings.configuration.sources, startedAtUSec: settings.clock.now(), board: board,
        timers: settings.configuration.timers)
    var reload = ReloadService(
        coordinator: coordinator, store: store, loader: IndexLoader(
            plans: IndexLoader.plans(for: settings.configuration),
            runner: FetchRunner(
                limiter: ConcurrencyLimiter(
                    limit: settings.configuration.daemon.maxParallelFetches ?? 2 * System.coreCount),
                logger: logger, board: board),
            logger: logger),
        notifier: settings.notifier, clock: settings.clock, logger: logger)
    reload.snapshotPath = settings.snapshotPath
    do {
        reload.stateLock = try StateDirectoryLock(directory: settings.stateDirectory, snapshotPath: settings.snapshotPath)
    } catch .held(let error) as StateDirectoryLock.Refusal {
        throw error
    } catch {
        // Serving matters more than the snapshot: the write will fail too, and say so in Status.
        logger.warning("\(error), ignoring; the snapshot cannot be kept.")
    }
    reload.fingerprint = settings.configuration.sourceFingerprint
    reload.refreshOnStart = settings.configuration.daemon.refreshOnStart ?? true
    var control = ControlServer(
        socketPath: settings.controlSocketPath,
        handler: ControlRequestHandler(store: store, coordinator: coordinator, access: access, counters: counters),
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    control.adoptedDescriptor = settings.listenDescriptors.descriptor(named: "control")
    control.limits = ControlConnectionLimits(
        maximum: settings.configuration.daemon.controlMaxConnections, privileged: [0, getuid()])
    control.requestTimeout = settings.configuration.daemon.requestTimeout
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: control)]
    if settings.servesLookupSocket {
        var lookup = LookupServer(
            socketPath: settings.lookupSocketPath, store: store, counters: counters,
            // Its clients are on this host (a Unix socket): by default leave them half the cores.
            eventLoopGroup: MultiThreadedEventLoopGroup(
                numberOfThreads: settings.configuration.daemon.lookupThreads ?? max(1, System.coreCount / 2)),
            logger: logger)
        lookup.adoptedDescriptor = settings.listenDescriptors.descriptor(named: "lookup")
        let wanted = settings.configuration.daemon.maxConnections ?? LookupServer.defaultMaximumConnections
        let parallel = settings.configuration.daemon.maxParallelFetches ?? 2 * System.coreCount
        lookup.maximumConnections = DescriptorBudget.lookupConnections(
            wanted: wanted, control: settings.configuration.daemon.controlMaxConnections, parallelFetches: parallel,
            limit: descriptors)
        if lookup.maximumConnections < wanted {
            logger.warning(
                "max_connections = \(wanted) does not fit in the \(descriptors) file descriptors this process may open (LimitNOFILE=), beside control_max_connections and \(DescriptorBudget.reserved(parallelFetches: parallel)) kept for fetches and the snapshot; allowing \(lookup.maximumConnections).")
        }
        lookup.limits.requestTimeout = TimeAmount(settings.configuration.daemon.requestTimeout)
        let idle = settings.configuration.daemon.lookupIdleTimeout
        lookup.limits.idleTimeout = idle > .zero ? TimeAmount(idle) : nil
        services.append(.init(service: lookup))
    } else {
        logger.notice("systemd passed no lookup socket (FileDescriptorName=lookup); the Redis-protocol lookups are off. Enable nameindexd-lookup.socket for them.")
    }
    services.append(.init(service: reload))
    if let interval = Notifier.watchdogInterval() {
        var watchdog = WatchdogService(
            interval: interval, socketPath: settings.controlSocketPath, notifier: settings.notifier, logger: logger)
        if settings.servesLookupSocket { watchdog.lookup = LookupSocketProbe(socketPath: settings.lookupSocketPath) }
        services.append(.init(service: watchdog))
    }
    services.append(.init(service: StoppingNotifierService(notifier: settings.notifier)))
    return ServiceGroup(
        configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
}
