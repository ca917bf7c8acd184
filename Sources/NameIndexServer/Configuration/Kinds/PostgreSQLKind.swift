import Foundation
import NameIndexSources

/// `kind = "postgresql"`: a query on a PostgreSQL server.
public struct PostgreSQLKind: SourceKind {
    public static let name = "postgresql"
    public static let keyGroups = [
        QueryKeys.group,
        .own(name, [
            .init("url", .string, required: true), .init("password_file", .string), .init("password_credential", .string),
            .init("partition_table", .string), .init("consistent_snapshot", .boolean),
        ]),
    ]

    /// `url`: libpq's connection string (a URI or `key=value` pairs), checked by libpq.
    public var url: PostgresConnectionString
    public var query: QueryKeys
    /// `password_file` or `password_credential`; nil: no password.
    public var password: Secret?
    /// `consistent_snapshot`: the partitions of a fetch read one snapshot (default true).
    public var consistentSnapshot: Bool

    public init(url: PostgresConnectionString, query: QueryKeys, password: Secret? = nil, consistentSnapshot: Bool = true) {
        self.url = url
        self.query = query
        self.password = password
        self.consistentSnapshot = consistentSnapshot
    }

    public init(reading table: SourceTable) throws {
        let keys = table.keys
        let text = try keys.requiredString("url")
        do {
            url = try PostgresConnectionString(text)
        } catch let error as SourceError {
            throw keys.error(.invalidValue, "url", error.message)
        }
        var pages: PartitionFilter.PageTable?
        if let text = try keys.nonEmptyString("partition_table") {
            let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard words.count == 1 || words.count == 2 else {
                throw keys.error(.invalidValue, "partition_table", "expected a table, or a table and its alias (\"users u\"), got '\(text)'")
            }
            pages = .init(relation: words[0], reference: words.count == 2 ? words[1] : nil)
        }
        query = try QueryKeys(reading: table, pages: pages, allowsPages: true)
        consistentSnapshot = try keys.bool("consistent_snapshot") ?? true
        if let path = try keys.nonEmptyString("password_file") {
            password = .file(URL(fileURLWithPath: path, relativeTo: table.directory).standardizedFileURL.path)
        }
        if let credential = try keys.nonEmptyString("password_credential") {
            guard password == nil else {
                throw keys.error(.invalidValue, "password_credential", "give either password_file or password_credential, not both")
            }
            try keys.check(
                "password_credential", credential, isValid: { $0 != "." && $0 != ".." && !$0.contains("/") },
                expected: "a credential name (no '/')")
            password = .credential(credential)
        }
    }

    public var renderedLines: [String] {
        var lines = ["url = \(TOMLText.string(url.text))"] + query.renderedLines
        if let table = query.filter?.table {
            let text = table.reference == table.relation ? table.relation : "\(table.relation) \(table.reference)"
            lines.append("partition_table = \(TOMLText.string(text))")
        }
        lines.append("consistent_snapshot = \(consistentSnapshot)")
        switch password {
        case .file(let path): lines.append("password_file = \(TOMLText.string(path))")
        case .credential(let name): lines.append("password_credential = \(TOMLText.string(name))")
        case nil: break
        }
        return lines
    }

    public var fingerprintText: String { "url\0\(url.text)\0query\0\(query.query)\0" + query.deltaFingerprintText }

    public var hasDelta: Bool { query.delta != nil }

    public func makeSource(name: String, namespace: String) -> any Source {
        var reader: (@Sendable () throws -> String)?
        if let password { reader = { try password.read() } }
        var made = PostgresSource(
            name: name, namespace: namespace, url: url, query: query.query, filter: query.filter,
            password: reader)
        made.checkQuery = query.checkQuery
        made.consistentSnapshot = consistentSnapshot
        made.deltaQuery = query.delta?.deltaQuery
        made.watermarkQuery = query.delta?.watermarkQuery
        return made
    }
}
