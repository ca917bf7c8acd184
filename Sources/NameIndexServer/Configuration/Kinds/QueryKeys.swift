import NameIndexSources

/// The keys of the kinds that run an SQL query (`postgresql`, `sqlite`): the query, its change
/// check, and the partition predicate that goes into `{partition_filter}`.
public struct QueryKeys: Sendable, Equatable {
    /// `query`: its first two columns are the key and the name.
    public var query: String
    /// `partition_by` and `partition_key`, when the query has `{partition_filter}`.
    public var filter: PartitionFilter?
    /// `check_query`: its first value changes when the data does; nil: no change check.
    public var checkQuery: String?
    /// `delta_query` and `watermark_query`: the rows changed since `{watermark}`, and where the
    /// deltas start after a full load; both or neither.
    public var delta: DeltaQueries?

    /// The two queries of incremental updates.
    public struct DeltaQueries: Sendable, Equatable {
        public var deltaQuery: String
        public var watermarkQuery: String

        public init(deltaQuery: String, watermarkQuery: String) {
            self.deltaQuery = deltaQuery
            self.watermarkQuery = watermarkQuery
        }
    }

    public init(query: String, filter: PartitionFilter? = nil, checkQuery: String? = nil, delta: DeltaQueries? = nil) {
        self.query = query
        self.filter = filter
        self.checkQuery = checkQuery
        self.delta = delta
    }

    public static let group = SourceKeyGroup(title: "Query keys", keys: [
        .init("query", .string, required: true), .init("check_query", .string), .init("partition_by", .string),
        .init("partition_key", .string), .init("delta_query", .string), .init("watermark_query", .string),
    ])

    /// Reads the keys; `pages` is the `partition_table` of a kind that can split a table by its
    /// pages (postgresql), nil when it is not set; `allowsPages` whether the kind can.
    init(reading table: SourceTable, pages: PartitionFilter.PageTable? = nil, allowsPages: Bool = false) throws {
        let keys = table.keys
        query = try keys.requiredString("query")
        guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw keys.error(.invalidValue, "query", "expected an SQL query, got an empty string")
        }
        filter = try Self.partitionFilter(keys, query: query, partitions: table.partitions, pages: pages, allowsPages: allowsPages)
        checkQuery = try keys.nonEmptyString("check_query")
        if checkQuery != nil, table.checkInterval == nil {
            throw keys.error(.missingKey, "check_interval", "a change check needs check_interval (how often to check)")
        }
        if checkQuery == nil, table.checkInterval != nil {
            throw keys.error(.missingKey, "check_query", "check_interval needs check_query: the query whose value changes with the data")
        }
        let deltaQuery = try keys.nonEmptyString("delta_query")
        let watermarkQuery = try keys.nonEmptyString("watermark_query")
        switch (deltaQuery, watermarkQuery) {
        case (let deltaQuery?, let watermarkQuery?):
            guard deltaQuery.contains("{watermark}") else {
                throw keys.error(
                    .invalidValue, "delta_query", "the delta query has no {watermark}: without it every delta would return every row")
            }
            delta = DeltaQueries(deltaQuery: deltaQuery, watermarkQuery: watermarkQuery)
        case (_?, nil):
            throw keys.error(
                .missingKey, "watermark_query", "delta_query needs watermark_query: where the deltas start after a full load")
        case (nil, _?):
            throw keys.error(.missingKey, "delta_query", "watermark_query needs delta_query: the rows changed since {watermark}")
        case (nil, nil):
            delta = nil
        }
    }

    var renderedLines: [String] {
        var lines = ["query = \(TOMLText.string(query))"]
        if let filter {
            lines.append("partition_by = \(TOMLText.string(filter.method.rawValue))")
            if !filter.key.isEmpty { lines.append("partition_key = \(TOMLText.string(filter.key))") }
        }
        if let checkQuery { lines.append("check_query = \(TOMLText.string(checkQuery))") }
        if let delta {
            lines.append("delta_query = \(TOMLText.string(delta.deltaQuery))")
            lines.append("watermark_query = \(TOMLText.string(delta.watermarkQuery))")
        }
        return lines
    }

    /// What of the delta queries goes into the snapshot fingerprint: an overlay built by other
    /// queries is not served.
    var deltaFingerprintText: String {
        delta.map { "delta\0\($0.deltaQuery)\0watermark\0\($0.watermarkQuery)\0" } ?? ""
    }

    /// `partition_by` and `partition_key`, which belong with `{partition_filter}` in the query.
    private static func partitionFilter(
        _ keys: TableReader, query: String, partitions: Int, pages: PartitionFilter.PageTable?, allowsPages: Bool
    ) throws -> PartitionFilter? {
        let key = try keys.nonEmptyString("partition_key")
        let methodName = try keys.string("partition_by")
        guard query.contains(PartitionFilter.placeholder) else {
            if key != nil || methodName != nil || pages != nil {
                throw keys.error(
                    .invalidValue, key != nil ? "partition_key" : methodName != nil ? "partition_by" : "partition_table",
                    "the query has no {partition_filter} for the partition predicate to go into")
            }
            if partitions > 1, !query.contains("{partition}") {
                throw keys.error(
                    .invalidValue, "partitions",
                    "partitions = \(partitions) needs {partition_filter} (with partition_key) or {partition} in the query, or every partition would fetch every row")
            }
            return nil
        }
        // Where a table's pages can be split, that is the default.
        var method: PartitionFilter.Method = pages != nil ? .pages : .hash
        if let methodName {
            guard let known = PartitionFilter.Method(rawValue: methodName), allowsPages || known != .pages else {
                let expected = allowsPages ? "'pages', 'hash' or 'range'" : "'hash' or 'range'"
                throw keys.error(.invalidValue, "partition_by", "expected \(expected), got '\(methodName)'")
            }
            method = known
        }
        if method == .pages, pages == nil {
            throw keys.error(
                .missingKey, "partition_table", "partition_by = \"pages\" needs partition_table: the table the query reads (and its alias)")
        }
        guard key != nil || method == .pages else {
            throw keys.error(.missingKey, "partition_key", "the query has {partition_filter}: name the key to partition on (e.g. \"id\")")
        }
        return PartitionFilter(method: method, key: key ?? "", table: pages)
    }
}
