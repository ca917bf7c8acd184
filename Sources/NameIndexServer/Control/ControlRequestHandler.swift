import Foundation
import NIOCore
import NIOFoundationCompat
import NameIndexCore
import NameIndexProtocol

/// Answers varlink calls on the control socket.
///
/// It takes one framed message and hands its replies to `reply`: none for a
/// `oneway` call, one for an ordinary call, and for a call with `more: true`
/// as many as the method streams, each but the last marked `continues`
/// (methods that have one answer send it as the last reply, as the varlink
/// specification allows). Anything wrong with a message becomes a varlink
/// error reply, so one client's mistake cannot touch another's connection;
/// only `reply` itself (a closed connection) can throw.
struct ControlRequestHandler: Sendable {
    let store: Store
    let coordinator: ReloadCoordinator
    /// Who may reload; everyone may read.
    var access = ControlAccess()
    /// The lookup socket's counts, shown per namespace in Status.
    var counters = LookupCounters()
    /// What the metrics count as it happens.
    var events = MetricEvents()

    init(store: Store, coordinator: ReloadCoordinator, access: ControlAccess = ControlAccess(), counters: LookupCounters = LookupCounters()) {
        self.store = store
        self.coordinator = coordinator
        self.access = access
        self.counters = counters
    }

    /// The most keys one `Lookup` takes, so that a reply stays a few MB of JSON.
    static let maximumLookupKeys = 100_000

    /// Handles one call from `peer` (nil: credentials unknown, which may read but not reload).
    func handle(
        _ frame: ByteBuffer, peer: PeerCredentials?, allocator: ByteBufferAllocator,
        reply: (ByteBuffer) async throws -> Void
    ) async throws {
        let decoder = JSONDecoder()
        let header: VarlinkCallHeader
        do {
            header = try decoder.decode(VarlinkCallHeader.self, from: frame)
        } catch {
            try await reply(encodeError(IndexInterface.Failure.invalidMessage(Self.describe(error)).reply, allocator))
            return
        }
        let isReload = header.method == IndexInterface.Method.reload.qualifiedName
        if (isReload || header.method == IndexInterface.Method.cancelReload.qualifiedName) && !access.mayControl(peer) {
            if header.oneway != true {
                try await reply(encodeError(IndexInterface.Failure.permissionDenied(uid: Int(peer?.uid ?? UInt32.max)).reply, allocator))
            }
            return
        }
        if header.more == true, header.oneway != true, isReload {
            let sources: ReloadRequest
            do {
                sources = try reloadSources(frame, decoder)
            } catch let error as VarlinkErrorReply {
                try await reply(encodeError(error, allocator))
                return
            } catch let failure as IndexInterface.Failure {
                try await reply(encodeError(failure.reply, allocator))
                return
            }
            try await streamReload(sources: sources, allocator: allocator, reply: reply)
            return
        }
        let answer = await dispatch(header, frame: frame, decoder: decoder, allocator: allocator)
        if header.oneway != true { try await reply(answer) }
    }

    /// How often `Reload` with `more` reports progress.
    static let progressInterval = Duration.milliseconds(250)

    /// `Reload` with `more`: progress replies while the reload runs, then its outcome.
    ///
    /// The ticket's events drive the replies: the first when the load starts (so it describes
    /// this reload, not the last one), then at most one per ``progressInterval`` as fetches
    /// report, then the outcome. The reload does not depend on the caller: a client that goes
    /// away stops getting replies, and the reload runs on.
    private func streamReload(
        sources: ReloadRequest, allocator: ByteBufferAllocator, reply: (ByteBuffer) async throws -> Void
    ) async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let ticket = await sources.ticket(coordinator)
        var nextProgress = started
        for await event in ticket.events {
            switch event {
            case .finished(.success(var final)):
                final.sources = await coordinator.status(index: store.current, version: ProductInfo.version).sources
                try await reply(try encode(final, allocator))
                return
            case .finished(.failure(let failure)):
                try await reply(encodeError(failure.reply, allocator))
                return
            case .started, .progress:
                guard clock.now >= nextProgress else { continue }
                let status = await coordinator.status(index: store.current, version: ProductInfo.version)
                let progress = IndexInterface.ReloadReply(
                    generation: status.generation, entries: status.entries, durationUSec: (clock.now - started).microseconds,
                    sources: status.sources)
                try await reply(try encode(progress, allocator, continues: true))
                nextProgress = clock.now + Self.progressInterval
            }
        }
        // The stream ends only after `finished`, unless the daemon is going away.
        try await reply(encodeError(IndexInterface.Failure.shuttingDown.reply, allocator))
    }

    /// The reply to an unusable message (a framing error), which ends the connection.
    func invalidMessageReply(_ reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        encodeError(IndexInterface.Failure.invalidMessage(reason).reply, allocator)
    }

    private func dispatch(
        _ header: VarlinkCallHeader, frame: ByteBuffer, decoder: JSONDecoder, allocator: ByteBufferAllocator
    ) async -> ByteBuffer {
        let method = header.method
        guard let dot = method.lastIndex(of: ".") else {
            return encodeError(.interfaceNotFound(method), allocator)
        }
        let interface = String(method[..<dot])
        let member = String(method[method.index(after: dot)...])
        do {
            switch interface {
            case VarlinkServiceInterface.name:
                switch VarlinkServiceInterface.Method(rawValue: member) {
                case .getInfo:
                    return try encode(
                        VarlinkServiceInterface.GetInfoReply(
                            vendor: ProductInfo.vendor, product: ProductInfo.product, version: ProductInfo.version,
                            url: ProductInfo.url, interfaces: [VarlinkServiceInterface.name, IndexInterface.name]),
                        allocator)
                case .getInterfaceDescription:
                    let p = try parameters(VarlinkServiceInterface.GetInterfaceDescriptionParameters.self, frame, decoder)
                    switch p.interface {
                    case IndexInterface.name:
                        return try encode(
                            VarlinkServiceInterface.GetInterfaceDescriptionReply(
                                description: IndexInterface.definition), allocator)
                    case VarlinkServiceInterface.name:
                        return try encode(
                            VarlinkServiceInterface.GetInterfaceDescriptionReply(
                                description: VarlinkServiceInterface.definition), allocator)
                    default:
                        return encodeError(.interfaceNotFound(p.interface), allocator)
                    }
                case nil:
                    return encodeError(.methodNotFound(method), allocator)
                }
            case IndexInterface.name:
                switch IndexInterface.Method(rawValue: member) {
                case .lookup:
                    let p = try parameters(IndexInterface.LookupParameters.self, frame, decoder)
                    guard p.keys.count <= Self.maximumLookupKeys else {
                        return encodeError(
                            IndexInterface.Failure.limitExceeded(limit: "lookup_keys", maximum: Self.maximumLookupKeys).reply,
                            allocator)
                    }
                    guard let index = await store.servingIndex() else {
                        return encodeError(IndexInterface.Failure.shuttingDown.reply, allocator)
                    }
                    guard let names = index.lookup(namespace: p.namespace, keys: p.keys) else {
                        return encodeError(IndexInterface.Failure.noSuchNamespace(p.namespace).reply, allocator)
                    }
                    return try encode(IndexInterface.LookupReply(names: names, generation: index.generation), allocator)
                case .listNamespaces:
                    guard let index = await store.servingIndex() else {
                        return encodeError(IndexInterface.Failure.shuttingDown.reply, allocator)
                    }
                    return try encode(
                        IndexInterface.ListNamespacesReply(
                            namespaces: index.namespaceSummaries.map { .init(name: $0.name, entries: $0.entries) },
                            generation: index.generation),
                        allocator)
                case .status:
                    var status = await coordinator.status(index: store.current, version: ProductInfo.version)
                    let counts = counters.snapshot()
                    for i in status.namespaces.indices {
                        let c = counts[status.namespaces[i].name] ?? LookupCounters.Counts()
                        status.namespaces[i].lookups = c.lookups
                        status.namespaces[i].hits = c.hits
                    }
                    return try encode(status, allocator)
                case .reload:
                    switch await try reloadSources(frame, decoder).ticket(coordinator).outcome() {
                    case .success(let reply): return try encode(reply, allocator)
                    case .failure(let failure): return encodeError(failure.reply, allocator)
                    }
                case .metrics:
                    let text = await MetricsReport.render(store: store, coordinator: coordinator, counters: counters, events: events)
                    return try encode(IndexInterface.MetricsReply(text: text), allocator)
                case .misses:
                    let p = try parameters(IndexInterface.MissesParameters.self, frame, decoder)
                    guard let index = await store.servingIndex() else {
                        return encodeError(IndexInterface.Failure.shuttingDown.reply, allocator)
                    }
                    guard let misses = await Inspection.misses(namespace: p.namespace, limit: p.limit, index: index, counters: counters) else {
                        return encodeError(IndexInterface.Failure.noSuchNamespace(p.namespace).reply, allocator)
                    }
                    return try encode(misses, allocator)
                case .explain:
                    let p = try parameters(IndexInterface.ExplainParameters.self, frame, decoder)
                    guard let index = await store.servingIndex() else {
                        return encodeError(IndexInterface.Failure.shuttingDown.reply, allocator)
                    }
                    let status = await coordinator.status(index: index, version: ProductInfo.version)
                    guard let explained = Inspection.explain(namespace: p.namespace, key: p.key, index: index, status: status) else {
                        return encodeError(IndexInterface.Failure.noSuchNamespace(p.namespace).reply, allocator)
                    }
                    return try encode(explained, allocator)
                case .cancelReload:
                    let cancelled = await coordinator.requestCancel()
                    return try encode(
                        IndexInterface.CancelReloadReply(cancelled: cancelled, generation: store.current?.generation ?? 0), allocator)
                case nil:
                    return encodeError(.methodNotFound(method), allocator)
                }
            default:
                return encodeError(.interfaceNotFound(interface), allocator)
            }
        } catch let error as VarlinkErrorReply {
            return encodeError(error, allocator)
        } catch let failure as IndexInterface.Failure {
            return encodeError(failure.reply, allocator)
        } catch {
            return encodeError(IndexInterface.Failure.invalidMessage(Self.describe(error)).reply, allocator)
        }
    }

    /// What a `Reload` call asks for: a full load or a delta, of the sources it names (nil: all).
    struct ReloadRequest {
        var sources: Set<String>?
        var delta: Bool

        func ticket(_ coordinator: ReloadCoordinator) async -> ReloadTicket {
            delta ? await coordinator.delta(sources: sources) : await coordinator.reload(sources: sources)
        }
    }

    /// The sources a `Reload` call names (nil: all) and its mode; an unknown name is
    /// `NoSuchSource`, a delta of a source without a delta query `ReloadFailed`.
    private func reloadSources(_ frame: ByteBuffer, _ decoder: JSONDecoder) throws -> ReloadRequest {
        let parameters = try parameters(IndexInterface.ReloadParameters.self, frame, decoder)
        let names = parameters.sources ?? []
        let delta = parameters.mode == .delta
        if let unknown = names.first(where: { !coordinator.allSources.contains($0) }) {
            throw IndexInterface.Failure.noSuchSource(unknown)
        }
        if delta, let plain = names.first(where: { !coordinator.deltaSources.contains($0) }) {
            throw IndexInterface.Failure.reloadFailed(
                reason: "Source '\(plain)' has no delta query (delta_query, delta_command): reload it in full",
                generation: store.current?.generation ?? 0, failedSources: [plain])
        }
        if delta, names.isEmpty, coordinator.deltaSources.isEmpty {
            throw IndexInterface.Failure.reloadFailed(
                reason: "No source has a delta query (delta_query, delta_command)", generation: store.current?.generation ?? 0,
                failedSources: [])
        }
        return ReloadRequest(sources: names.isEmpty ? nil : Set(names), delta: delta)
    }

    /// Decodes the parameters of a call; a missing or mistyped one is `InvalidParameter`.
    private func parameters<P: Codable & Sendable>(_ type: P.Type, _ frame: ByteBuffer, _ decoder: JSONDecoder) throws -> P {
        do {
            let call = try decoder.decode(VarlinkCall<P>.self, from: frame)
            if let parameters = call.parameters { return parameters }
            // No "parameters" member: fine for a method whose parameters are all optional.
            return try decoder.decode(P.self, from: ByteBuffer(string: "{}"))
        } catch let DecodingError.keyNotFound(key, _) {
            throw VarlinkErrorReply.invalidParameter(key.stringValue)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let names = context.codingPath.map(\.stringValue).filter { $0 != "parameters" && Int($0) == nil }
            throw VarlinkErrorReply.invalidParameter(names.last ?? "parameters")
        }
    }

    private func encode<P: Codable & Sendable>(
        _ parameters: P, _ allocator: ByteBufferAllocator, continues: Bool? = nil
    ) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encodeAsByteBuffer(VarlinkReply(parameters: parameters, continues: continues), allocator: allocator)
    }

    func encodeError(_ error: VarlinkErrorReply, _ allocator: ByteBufferAllocator) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let reply = VarlinkReply(parameters: error.parameters, error: error.name)
        // Encoding a JSONValue cannot fail.
        return (try? encoder.encodeAsByteBuffer(reply, allocator: allocator)) ?? ByteBuffer(string: "{}")
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted: "invalid JSON"
        case DecodingError.keyNotFound(let key, _): "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context):
            "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: "invalid message"
        }
    }
}
