import Foundation
import NameIndexSources

/// `kind = "postgresql"`: a query on a PostgreSQL server.
public struct PostgreSQLKind: SourceKind {
    public static let name = "postgresql"
    public static let keyGroups = [
        QueryKeys.group,
        .own(name, [.init("url", .string, required: true), .init("password_file", .string), .init("password_credential", .string)]),
    ]

    /// `url`, parsed.
    public var location: PostgresLocation
    public var query: QueryKeys
    /// `password_file` or `password_credential`; nil: no password.
    public var password: Secret?

    public init(location: PostgresLocation, query: QueryKeys, password: Secret? = nil) {
        self.location = location
        self.query = query
        self.password = password
    }

    public init(reading table: SourceTable) throws {
        let keys = table.keys
        let url = try keys.requiredString("url")
        do {
            location = try PostgresLocation(parsing: url)
        } catch {
            throw keys.error(.invalidValue, "url", "\(error.message)")
        }
        query = try QueryKeys(reading: table)
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
        var lines = ["url = \(TOMLText.string(location.description))"] + query.renderedLines
        switch password {
        case .file(let path): lines.append("password_file = \(TOMLText.string(path))")
        case .credential(let name): lines.append("password_credential = \(TOMLText.string(name))")
        case nil: break
        }
        return lines
    }

    public var fingerprintText: String { "url\0\(location.description)\0query\0\(query.query)\0" }

    public func makeSource(name: String, namespace: String) -> any Source {
        var reader: (@Sendable () throws -> String)?
        if let password { reader = { try password.read() } }
        var made = PostgresSource(
            name: name, namespace: namespace, location: location, query: query.query, filter: query.filter,
            password: reader)
        made.checkQuery = query.checkQuery
        return made
    }
}
