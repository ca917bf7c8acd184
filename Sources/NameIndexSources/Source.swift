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
}

/// Something that yields id → name rows for one namespace.
///
/// A source streams: it hands rows to `deliver` in batches as it reads them
/// and never holds a whole table. `deliver` may suspend, which is how a slow
/// consumer holds back a fast source.
public protocol Source: Sendable {
    /// The source's configured name, unique in the daemon.
    var name: String { get }
    /// The namespace its rows go into.
    var namespace: String { get }
    /// The kind, as written in the configuration (`file`, …).
    var kind: String { get }

    /// Fetches the rows of `partition`.
    ///
    /// - Throws: ``SourceError`` when the rows cannot be read. Bad rows are not
    ///   errors: they are skipped and counted in ``RowBatch/skipped``.
    func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws
}
