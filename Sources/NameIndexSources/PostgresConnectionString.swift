import CPostgres

/// A PostgreSQL connection string as libpq reads it (a `postgresql://` URI or `key=value`
/// pairs): checked with libpq's own parser, and otherwise handed to libpq as it is.
public struct PostgresConnectionString: Sendable, Equatable, CustomStringConvertible {
    /// The string as the configuration gives it.
    public let text: String
    /// Its settings, as libpq parsed them (host, port, dbname, user, sslmode, …).
    public let settings: [String: String]

    /// Parses `text`; refuses what libpq refuses, and a password (which would show in
    /// `--check-config`, Status and the journal: give it with `password_file` instead).
    public init(_ text: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &error) else {
            let message = error.map { String(cString: $0) } ?? "out of memory"
            if let error { PQfreemem(error) }
            throw SourceError(code: .invalidConfiguration, message: "expected a postgresql:// URI or key=value pairs, as libpq reads them: \(Self.trimmed(message))")
        }
        defer { PQconninfoFree(options) }
        var settings: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { settings[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        guard settings["password"] == nil else {
            throw SourceError(
                code: .invalidConfiguration,
                message: "it holds a password, which would show in --check-config and Status; give it with password_file or password_credential")
        }
        self.text = text
        self.settings = settings
    }

    public var description: String { text }

    private static func trimmed(_ message: String) -> String {
        var message = message
        while let last = message.last, last.isWhitespace { message.removeLast() }
        return message
    }
}
