import Foundation
import Logging
import NIOCore
import NIOPosix
import NameIndexCore
import NameIndexProtocol
import ServiceLifecycle
import Systemd

/// Builds the daemon's service group: control server, reload service and
/// the STOPPING=1 notifier, in the order that makes shutdown graceful (the
/// group stops them last to first: notify, cancel a running load and answer
/// its waiters, then close the socket).
public func makeServiceGroup(settings: DaemonSettings, logger: Logger) throws -> ServiceGroup {
    let access = try ControlAccess.resolving(group: settings.configuration.daemon.controlGroup)
    let descriptors = DescriptorBudget.raiseSoftLimit()
    let store = Store()
    let lookupLoops: MultiThreadedEventLoopGroup? =
        settings.servesLookupSocket ? MultiThreadedEventLoopGroup(numberOfThreads: settings.configuration.daemon.lookupThreads) : nil
    // A sample of missed keys per lookup event loop, so that a loop adds to its own unlocked.
    let counters = LookupCounters(
        missSample: settings.configuration.daemon.missSample, loops: lookupLoops.map { Array($0.makeIterator()) } ?? [])
    let events = MetricEvents()
    events.declare(sources: settings.configuration.sources.map(\.name))
    events.declare(reloadIntervals: settings.configuration.sources.compactMap { s in s.reloadInterval.map { (s.name, $0) } })
    let board = FetchProgressBoard()
    let coordinator = ReloadCoordinator(
        sources: settings.configuration.sources, startedAtUSec: settings.clock.now(), board: board,
        timers: settings.configuration.timers)
    var reload = ReloadService(
        coordinator: coordinator, store: store, loader: IndexLoader(
            plans: IndexLoader.plans(for: settings.configuration),
            runner: FetchRunner(
                limiter: ConcurrencyLimiter(limit: settings.configuration.daemon.maxParallelFetches),
                logger: logger, board: board,
                remoteLimiter: ConcurrencyLimiter(limit: settings.configuration.daemon.maxParallelCommands),
                skippedSample: settings.configuration.daemon.skippedSample),
            logger: logger),
        notifier: settings.notifier, clock: settings.clock, logger: logger)
    reload.events = events
    reload.counters = counters
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
    reload.refreshOnStart = settings.configuration.daemon.refreshOnStart
    reload.snapshotInterval = settings.configuration.daemon.snapshotInterval
    var handler = ControlRequestHandler(store: store, coordinator: coordinator, access: access, counters: counters)
    handler.events = events
    var control = ControlServer(
        socket: ListeningSocket(
            name: "control", path: settings.controlSocketPath,
            adoptedDescriptor: settings.listenDescriptors.descriptor(named: "control")),
        handler: handler,
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    control.limits = ControlConnectionLimits(
        maximum: settings.configuration.daemon.controlMaxConnections, privileged: [0, getuid()], meter: events.controlConnections)
    control.requestTimeout = settings.configuration.daemon.requestTimeout
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: control)]
    if settings.servesLookupSocket {
        let wanted = settings.configuration.daemon.maxConnections
        let parallel = settings.configuration.daemon.maxParallelFetches + settings.configuration.daemon.maxParallelCommands
        let allowed = DescriptorBudget.lookupConnections(
            wanted: wanted, control: settings.configuration.daemon.controlMaxConnections, parallelFetches: parallel,
            limit: descriptors)
        if allowed < wanted {
            logger.warning(
                "max_connections = \(wanted) does not fit in the \(descriptors) file descriptors this process may open (LimitNOFILE=), beside control_max_connections and \(DescriptorBudget.reserved(parallelFetches: parallel)) kept for fetches and the snapshot; allowing \(allowed).")
        }
        var lookup = LookupServer(
            socket: ListeningSocket(
                name: "lookup", path: settings.lookupSocketPath,
                adoptedDescriptor: settings.listenDescriptors.descriptor(named: "lookup")),
            store: store, counters: counters,
            eventLoopGroup: lookupLoops ?? MultiThreadedEventLoopGroup(numberOfThreads: settings.configuration.daemon.lookupThreads),
            logger: logger, maximumConnections: allowed)
        lookup.meter = events.lookupConnections
        lookup.limits.requestTimeout = TimeAmount(settings.configuration.daemon.requestTimeout)
        let idle = settings.configuration.daemon.lookupIdleTimeout
        lookup.limits.idleTimeout = idle > .zero ? TimeAmount(idle) : nil
        services.append(.init(service: lookup))
    } else {
        logger.notice("systemd passed no lookup socket (FileDescriptorName=lookup); the Redis-protocol lookups are off. Enable nameindexd-lookup.socket for them.")
    }
    services.append(.init(service: reload))
    if let address = settings.configuration.daemon.metricsListenAddress {
        var http = MetricsHTTPServer(
            host: address.host, port: address.port,
            render: { await MetricsReport.render(store: store, coordinator: coordinator, counters: counters, events: events) },
            logger: logger)
        http.requestTimeout = settings.configuration.daemon.requestTimeout
        services.append(.init(service: http))
    }
    if let path = settings.configuration.daemon.metricsTextfile {
        services.append(
            .init(
                service: MetricsTextfileService(
                    path: path, interval: settings.configuration.daemon.metricsInterval,
                    render: { await MetricsReport.render(store: store, coordinator: coordinator, counters: counters, events: events) },
                    logger: logger)))
    }
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
