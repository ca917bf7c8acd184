/// The SQL predicate that `{partition_filter}` becomes in a partitioned query.
///
/// `partitions = N` runs the query N times at once; in run `i` the
/// placeholder becomes a predicate on `partition_key` that holds for exactly
/// the rows of partition `i`, so the N runs together return every row once:
///
/// - `hash`: the key's text is hashed by the database and taken modulo N.
/// - `range`: the integer key range from the bounds (min and max of the
///   query's first column, read once before the partitions start) is cut into
///   N equal spans. The first span is open below and the last open above, so
///   rows added after the bounds were read are still fetched, exactly once.
/// - `pages` (PostgreSQL 14 and later): the heap pages of `partition_table` (its size when the
///   fetch began) are cut into N contiguous ranges, `ctid >= '(b,0)' AND ctid < '(e,0)'`, a TID
///   range scan, so each partition reads only its share of the table; the last range is open
///   above.
///
/// Rows whose key is NULL belong to partition 0, so they are counted as
/// skipped once, as in an unpartitioned fetch.
public struct PartitionFilter: Sendable, Equatable {
    public enum Method: String, Sendable, CaseIterable {
        case hash, range, pages
    }

    /// The table whose pages `pages` splits: the relation (for its size) and how the query
    /// names it (its alias in a join, else the relation).
    public struct PageTable: Sendable, Equatable {
        public var relation: String
        public var reference: String

        public init(relation: String, reference: String? = nil) {
            self.relation = relation
            self.reference = reference ?? relation
        }
    }

    /// How a database hashes text into a non-negative integer.
    public enum Dialect: Sendable {
        /// PostgreSQL's `hashtext`, shifted to be non-negative.
        case postgresql
        /// The `nameindex_hash` function that ``SQLiteSource`` registers on its connection.
        case sqlite

        func bucket(of key: String, count: Int) -> String {
            switch self {
            case .postgresql: "mod(hashtext((\(key))::text)::int8 + 2147483648, \(count))"
            case .sqlite: "(nameindex_hash(\(key)) % \(count))"
            }
        }

        func integer(_ key: String) -> String {
            switch self {
            case .postgresql: "(\(key))::int8"
            case .sqlite: "(\(key))"
            }
        }
    }

    public var method: Method
    /// The SQL expression partitioned on, as it can be written where `{partition_filter}` stands
    /// (`partition_key`; for `pages`, what `hash` falls back to; empty when not given).
    public var key: String
    /// `partition_table`, for `pages`.
    public var table: PageTable?

    public init(method: Method, key: String, table: PageTable? = nil) {
        self.method = method
        self.key = key
        self.table = table
    }

    /// The placeholder in a query.
    public static let placeholder = "{partition_filter}"

    /// `query` for `partition`: `{partition}` and `{partitions}` replaced by numbers, and
    /// `{partition_filter}` by the predicate of `filter` (when the query has one).
    public static func query(
        _ query: String, for partition: Partition, filter: PartitionFilter?, bounds: ClosedRange<Int64>?, dialect: Dialect
    ) -> String {
        let text = partition.substituted(in: query)
        guard let filter else { return text }
        return text.replacing(placeholder, with: filter.predicate(for: partition, bounds: bounds, dialect: dialect))
    }

    /// The predicate for `partition`; `bounds` (min, max) are needed for `range`, nil when the source
    /// is empty; for `pages`, `0...pages` (the table's page count when the fetch began).
    public func predicate(for partition: Partition, bounds: ClosedRange<Int64>?, dialect: Dialect) -> String {
        let nulls = partition.index == 0 ? " OR (\(key)) IS NULL" : ""
        guard partition.count > 1 else { return "TRUE" }
        switch method {
        case .pages:
            let pages = Int128(bounds?.upperBound ?? 0)
            let reference = table?.reference ?? key
            func start(_ i: Int) -> Int128 { pages * Int128(i) / Int128(partition.count) }
            var terms: [String] = []
            if partition.index > 0 { terms.append("\(reference).ctid >= '(\(start(partition.index)),0)'::tid") }
            if partition.index < partition.count - 1 { terms.append("\(reference).ctid < '(\(start(partition.index + 1)),0)'::tid") }
            return "(\(terms.joined(separator: " AND ")))"
        case .hash:
            return "(\(dialect.bucket(of: key, count: partition.count)) = \(partition.index)\(nulls))"
        case .range:
            guard let bounds else {
                // Nothing there when the bounds were read: partition 0 takes whatever appears since.
                return partition.index == 0 ? "TRUE" : "FALSE"
            }
            let starts = Self.rangeStarts(bounds, count: partition.count)
            let value = dialect.integer(key)
            var terms: [String] = []
            if partition.index > 0 { terms.append("\(value) >= \(starts[partition.index])") }
            if partition.index < partition.count - 1 { terms.append("\(value) < \(starts[partition.index + 1])") }
            return "((\(terms.joined(separator: " AND ")))\(nulls))"
        }
    }

    /// Where each of `count` equal spans of `bounds` starts (the first start is `bounds.lowerBound`).
    static func rangeStarts(_ bounds: ClosedRange<Int64>, count: Int) -> [Int64] {
        let low = Int128(bounds.lowerBound)
        let width = Int128(bounds.upperBound) - low + 1
        return (0..<count).map { i in Int64(low + width * Int128(i) / Int128(count)) }
    }
}
