import NameIndexSources

/// `kind = "sqlite"`: a query on an SQLite database file, opened read-only.
public struct SQLiteKind: SourceKind {
    public static let name = "sqlite"
    public static let keyGroups = [QueryKeys.group, .own(name, [.init("path", .string, required: true)])]

    /// `path`: the database file, resolved to an absolute path.
    public var path: String
    public var query: QueryKeys

    public init(path: String, query: QueryKeys) {
        self.path = path
        self.query = query
    }

    public init(reading table: SourceTable) throws {
        path = try table.resolvedPath("path")
        query = try QueryKeys(reading: table)
    }

    public var renderedLines: [String] { ["path = \(TOMLText.string(path))"] + query.renderedLines }

    public var fingerprintText: String { "path\0\(path)\0query\0\(query.query)\0" + query.deltaFingerprintText }

    public var hasDelta: Bool { query.delta != nil }

    public func makeSource(name: String, namespace: String) -> any Source {
        var made = SQLiteSource(
            name: name, namespace: namespace, path: path, query: query.query, filter: query.filter,
            checkQuery: query.checkQuery)
        made.deltaQuery = query.delta?.deltaQuery
        made.watermarkQuery = query.delta?.watermarkQuery
        return made
    }
}
