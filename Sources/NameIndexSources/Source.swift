import NameIndexCore

/// Which share of a source one fetch covers: partition `index` of `count`.
///
/// Together the partitions `0..<count` return every row of the source exactly
/// once. Sources that cannot split themselves are fetched as partition 0 of 1.
public struct Partition: Sendable, Hashable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, of count: Int) {
        precondition(count >= 1 && index >= 0 && index < count, "invalid partition \(index)/\(count)")
        self.index = index
        self.count = count
    }

    /// The whole source as one partition.
    public static let whole = Partition(index: 0, of: 1)

    public var description: String { "\(index + 1)/\(count)" }

    /// `text` with `{partition}` (0-based) and `{partitions}` replaced by this partition's numbers.
    public func substituted(in text: String) -> String {
        text.replacing("{partitions}", with: String(count)).replacing("{partition}", with: String(index))
    }
}

/// Something that yields id → name rows for one namespace.
///
/// A fetch of a source has two steps. ``prepare(partitions:)`` runs once,
/// before any partition starts, and settles what must be the same for all of
/// them (a key range's bounds, a file's size); the ``PartitionFetcher`` it
/// returns then fetches each partition, possibly all at once. Sources with
/// nothing to settle are their own fetcher.
public protocol Source: Sendable {
    /// The source's configured name, unique in the daemon.
    var name: String { get }
    /// The namespace its rows go into.
    var namespace: String { get }
    /// The kind, as written in the configuration (`file`, …).
    var kind: String { get }

    /// Settles what the `partitions` fetches share; called once per fetch of the source.
    ///
    /// - Throws: ``SourceError`` when the source cannot be reached.
    func prepare(partitions: Int) async throws -> any PartitionFetcher

    /// Whether the fetch's work runs on another machine, so that local cores do not bound it
    /// (a `command`: the warehouse does the work, the program mostly waits). Such fetches are
    /// bounded by `max_parallel_commands`, the others by `max_parallel_fetches`.
    var worksElsewhere: Bool { get }

    /// A value that changes when the source's data does (`check_query`, `check_command`, a file's
    /// inode, size and modification time); nil when the source has no change check.
    func changeToken() async throws -> String?
}

/// A source that can return what changed since a watermark (`delta_query`, `delta_command`).
public protocol DeltaFetching: Sendable {
    /// Fetches the rows changed since `watermark` (the `{watermark}` of the query): key,
    /// name, a deleted flag and the row's watermark, as ``RowBatch/appendDelta(key:name:deleted:watermark:)``
    /// rows, handed to `deliver` in batches as they are read.
    ///
    /// - Throws: ``SourceError`` when the rows cannot be read.
    func fetchDelta(since watermark: String, deliver: (RowBatch) async throws -> Void) async throws

    /// The watermark a full load starts from (`watermark_query`): nil when it returns no row or NULL.
    ///
    /// - Throws: ``SourceError`` when it cannot be read.
    func startingWatermark() async throws -> String?

    /// Whether a load reads the watermark itself, inside its own snapshot
    /// (``PartitionFetcher/startingWatermark``), so that nothing falls between the two; else
    /// the loader calls ``startingWatermark()`` just before the load.
    var readsWatermarkInLoad: Bool { get }
}

extension DeltaFetching {
    public var readsWatermarkInLoad: Bool { false }
}

extension DeltaFetching {
    /// Fetches the rows changed since `watermark` into one collector.
    public func collect(since watermark: String) async throws -> DeltaCollector {
        var collector = DeltaCollector()
        try await fetchDelta(since: watermark) { collector.add($0) }
        return collector
    }
}

/// Fetches the partitions of one prepared fetch of a source.
public protocol PartitionFetcher: Sendable {
    /// Fetches the rows of `partition`.
    ///
    /// Rows are handed to `deliver` in batches as they are read, never
    /// collected; `deliver` may suspend, which is how a slow consumer holds
    /// back a fast source.
    ///
    /// - Throws: ``SourceError`` when the rows cannot be read. Bad rows are not
    ///   errors: they are skipped and counted in ``RowBatch/skipped``.
    func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws

    /// What the preparation decided that an operator should know (a fallback, once per fetch);
    /// the fetch engine writes them to the journal.
    var notices: [String] { get }

    /// Every partition is done (or has given up): let go of what the preparation holds (a
    /// connection keeping a snapshot open).
    func finish() async

    /// The watermark the preparation read in the snapshot the partitions share (PostgreSQL's
    /// `watermark_query`); nil when it has none or the query gave NULL.
    var startingWatermark: String? { get }
}

extension PartitionFetcher {
    public var notices: [String] { [] }
    public var startingWatermark: String? { nil }
    public func finish() async {}
}

extension Source {
    public func changeToken() async throws -> String? { nil }
    public var worksElsewhere: Bool { false }
}

extension Source where Self: PartitionFetcher {
    /// A source with nothing to settle fetches its partitions itself.
    public func prepare(partitions: Int) async throws -> any PartitionFetcher { self }
}

extension Source {
    /// Fetches the whole source as one partition: prepare, then fetch.
    public func fetchWhole(deliver: (RowBatch) async throws -> Void) async throws {
        let fetcher = try await prepare(partitions: 1)
        do {
            try await fetcher.fetch(.whole, deliver: deliver)
        } catch {
            await fetcher.finish()
            throw error
        }
        await fetcher.finish()
    }
}
