/// The replies of `Status`: the daemon, its sources and their fetches, the snapshot.
extension IndexInterface {
    public enum DaemonState: String, Codable, Sendable {
        case starting, loading, serving, reloading, failed
    }

    public enum SourceState: String, Codable, Sendable {
        case pending, loading, loaded, stale, failed
        case loadedAndReloading = "loaded_and_reloading"
        case failedAndReloading = "failed_and_reloading"

        /// Whether a fetch of the source is under way.
        public var isFetching: Bool { self == .loading || self == .loadedAndReloading || self == .failedAndReloading }

        /// For people: `loaded-and-reloading`.
        public var displayName: String { String(rawValue.map { $0 == "_" ? "-" : $0 }) }
    }

    public struct FetchProgress: Codable, Sendable, Equatable {
        public enum State: String, Codable, Sendable {
            case queued, running, retrying, done, failed
        }

        public var state: State
        public var attempt: Int
        public var rows: Int
        public var bytes: Int
        public var elapsedUSec: UInt64
        public var partitions: [PartitionProgress]?

        public init(
            state: State, attempt: Int, rows: Int, bytes: Int, elapsedUSec: UInt64, partitions: [PartitionProgress]? = nil
        ) {
            self.state = state
            self.attempt = attempt
            self.rows = rows
            self.bytes = bytes
            self.elapsedUSec = elapsedUSec
            self.partitions = partitions
        }
    }

    public struct PartitionProgress: Codable, Sendable, Equatable {
        public var state: FetchProgress.State
        public var attempt: Int
        public var rows: Int
        public var bytes: Int

        public init(state: FetchProgress.State, attempt: Int, rows: Int, bytes: Int) {
            self.state = state
            self.attempt = attempt
            self.rows = rows
            self.bytes = bytes
        }
    }

    public struct SourceStatus: Codable, Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var kind: String
        public var state: SourceState
        public var rows: Int
        public var bytes: Int?
        public var skippedNull: Int
        public var skippedEmpty: Int
        public var skippedInvalidUTF8: Int
        public var skippedMalformed: Int
        public var skippedTooLong: Int
        public var duplicates: Int
        public var shadowed: Int
        public var skippedRows: [SkippedRow]?
        public var lastSuccessUSec: UInt64?
        public var lastDurationUSec: UInt64?
        public var lastError: String?
        public var lastErrorUSec: UInt64?
        public var fetch: FetchProgress?
        public var nextReloadUSec: UInt64?
        public var nextReloadReason: String?
        public var lastCheckUSec: UInt64?
        public var lastCheckValue: String?
        public var lastCheckError: String?
        public var delta: DeltaStatus?

        public init(name: String, namespace: String, kind: String) {
            self.name = name
            self.namespace = namespace
            self.kind = kind
            self.state = .pending
            self.rows = 0
            self.skippedNull = 0
            self.skippedEmpty = 0
            self.skippedInvalidUTF8 = 0
            self.skippedMalformed = 0
            self.skippedTooLong = 0
            self.duplicates = 0
            self.shadowed = 0
        }
    }

    public struct DeltaStatus: Codable, Sendable, Equatable {
        public var watermark: String?
        public var running = false
        public var queued = false
        public var applied = 0
        public var lastUSec: UInt64?
        public var lastUpserts: Int?
        public var lastTombstones: Int?
        public var lastChanged: Int?
        public var lastDurationUSec: UInt64?
        public var lastGeneration: UInt64?
        public var lastError: String?
        public var lastErrorUSec: UInt64?
        public var overlayRows = 0
        public var overlayBytes = 0
        public var nextDeltaUSec: UInt64?
        public var lastCompactionUSec: UInt64?
        public var lastCompactionDurationUSec: UInt64?
        public var lastCompactionRows: Int?
        public var reconciliation: Reconciliation?

        public init() {}
    }

    public struct Reconciliation: Codable, Sendable, Equatable {
        public var atUSec: UInt64
        public var missing: Int
        public var extra: Int
        public var changed: Int
        public var examples: [String]

        public init(atUSec: UInt64, missing: Int, extra: Int, changed: Int, examples: [String]) {
            self.atUSec = atUSec
            self.missing = missing
            self.extra = extra
            self.changed = changed
            self.examples = examples
        }

        /// For people: `deltas had missed 12 deletes, 0 additions, 0 changes`.
        public var summary: String {
            func count(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : word.hasSuffix("h") ? "es" : "s")" }
            return "deltas had missed \(count(extra, "delete")), \(count(missing, "addition")), \(count(changed, "change"))"
        }
    }

    public struct Snapshot: Codable, Sendable, Equatable {
        public var path: String
        public var generation: UInt64
        public var createdAtUSec: UInt64
        public var bytes: Int

        public init(path: String, generation: UInt64, createdAtUSec: UInt64, bytes: Int) {
            self.path = path
            self.generation = generation
            self.createdAtUSec = createdAtUSec
            self.bytes = bytes
        }
    }

    public struct StatusReply: Codable, Sendable, Equatable {
        public var state: DaemonState
        public var generation: UInt64
        public var entries: Int
        public var startedAtUSec: UInt64
        public var loadedAtUSec: UInt64?
        public var loadDurationUSec: UInt64?
        public var version: String
        public var indexBytes: Int
        public var servingSnapshot: Bool
        public var snapshot: Snapshot?
        public var snapshotError: String?
        public var namespaces: [Namespace]
        public var sources: [SourceStatus]
        public var changes: [NamespaceChanges]?
        public var changesFrom: UInt64?

        public init(
            state: DaemonState, generation: UInt64, entries: Int, startedAtUSec: UInt64,
            loadedAtUSec: UInt64?, loadDurationUSec: UInt64?, version: String, indexBytes: Int,
            servingSnapshot: Bool, snapshot: Snapshot?, snapshotError: String?,
            namespaces: [Namespace], sources: [SourceStatus]
        ) {
            self.state = state
            self.generation = generation
            self.entries = entries
            self.startedAtUSec = startedAtUSec
            self.loadedAtUSec = loadedAtUSec
            self.loadDurationUSec = loadDurationUSec
            self.version = version
            self.indexBytes = indexBytes
            self.servingSnapshot = servingSnapshot
            self.snapshot = snapshot
            self.snapshotError = snapshotError
            self.namespaces = namespaces
            self.sources = sources
        }
    }
}
