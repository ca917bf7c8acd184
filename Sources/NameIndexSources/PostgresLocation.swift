#if canImport(Glibc)
import Glibc
#endif

/// Where a `postgresql` source connects: libpq's connection URI, without a password.
///
/// `postgresql://[user@][host][:port][/dbname][?param=value&…]` (also
/// `postgres://`). A host that starts with `/` is the directory of a Unix
/// socket, as with libpq; it may also be given as `?host=/run/postgresql`.
/// Percent-escapes are decoded in every part. Defaults follow libpq: the
/// user is the daemon's own user name, the host is the socket directory
/// `/run/postgresql`, the port is 5432, the database is named after the user.
///
/// A password in the URI is refused: secrets come from `password_file` or a
/// systemd credential, never from the configuration itself.
public struct PostgresLocation: Sendable, Equatable {
    /// How TLS is used over TCP, as libpq's `sslmode`.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var user: String
    /// A host name or address; or, when it starts with `/`, a Unix socket directory.
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    public var applicationName: String
    /// `connect_timeout`, in seconds; nil: 10 s.
    public var connectTimeout: Int?

    /// Whether `host` names a Unix socket directory.
    public var isUnixSocket: Bool { host.hasPrefix("/") }

    /// The socket file, as libpq names it: `<dir>/.s.PGSQL.<port>`.
    public var socketPath: String { "\(host)/.s.PGSQL.\(port)" }

    /// The URI again, decoded and without a password: for status and logs.
    public var description: String {
        isUnixSocket
            ? "postgresql://\(user)@/\(database)?host=\(host)&port=\(port)"
            : "postgresql://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The query parameters this daemon knows.
    public static let knownParameters = ["host", "port", "user", "dbname", "sslmode", "application_name", "connect_timeout"]

    /// Parses `uri`; `defaultUser` stands in for the daemon's user name when the URI names none.
    public init(parsing uri: String, defaultUser: String = PostgresLocation.currentUserName()) throws(ParseError) {
        func fail(_ message: String) -> ParseError { ParseError(message: message) }
        var rest = Substring(uri)
        if rest.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else if rest.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else {
            throw fail("expected a URI that starts with 'postgresql://', such as postgresql://user@host:5432/db")
        }
        var query = Substring("")
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var path = Substring("")
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var user: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            if credentials.contains(":") {
                throw fail("the URI contains a password; give it with password_file or password_credential instead")
            }
            user = try Self.decode(credentials)
            rest = rest[rest.index(after: at)...]
        }
        var host: String?
        var port: Int?
        if rest.contains(",") { throw fail("several hosts are not supported; give one host") }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail("an IPv6 address in '[' lacks its ']'") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw fail("unexpected text after ']': '\(rest)'") }
                port = try Self.port(rest.dropFirst())
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = try Self.decode(rest[..<colon])
            port = try Self.port(rest[rest.index(after: colon)...])
        } else if !rest.isEmpty {
            host = try Self.decode(rest)
        }
        if host == "" { host = nil }
        var database = path.isEmpty ? nil : try Self.decode(path)
        var sslMode = SSLMode.prefer
        var applicationName = "nameindexd"
        var connectTimeout: Int?
        if !query.isEmpty {
            for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
                guard let equals = pair.firstIndex(of: "=") else { throw fail("parameter '\(pair)' has no value") }
                let key = String(pair[..<equals])
                let value = try Self.decode(pair[pair.index(after: equals)...])
                switch key {
                case "host": host = value
                case "port": port = try Self.port(Substring(value))
                case "user": user = value
                case "dbname": database = value
                case "sslmode":
                    guard let mode = SSLMode(rawValue: value) else {
                        let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                        throw fail("sslmode must be one of \(known), got '\(value)'")
                    }
                    sslMode = mode
                case "application_name": applicationName = value
                case "connect_timeout":
                    guard let seconds = Int(value), seconds >= 1 else {
                        throw fail("connect_timeout must be a whole number of seconds from 1, got '\(value)'")
                    }
                    connectTimeout = seconds
                case "password":
                    throw fail("the URI contains a password; give it with password_file or password_credential instead")
                default:
                    throw fail("unknown parameter '\(key)' (known: \(Self.knownParameters.joined(separator: ", ")))")
                }
            }
        }
        let resolvedUser = user.flatMap { $0.isEmpty ? nil : $0 } ?? defaultUser
        self.user = resolvedUser
        self.host = host ?? "/run/postgresql"
        self.port = port ?? 5432
        self.database = database.flatMap { $0.isEmpty ? nil : $0 } ?? resolvedUser
        self.sslMode = sslMode
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
    }

    private static func port(_ text: Substring) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw ParseError(message: "the port must be a number from 1 to 65535, got '\(text)'")
        }
        return port
    }

    /// Decodes `%XX` escapes; the result must be UTF-8.
    static func decode(_ text: Substring) throws(ParseError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.first {
            utf8 = utf8.dropFirst()
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let high = hexValue(utf8.first!), let low = hexValue(utf8.dropFirst().first!) else {
                throw ParseError(message: "bad percent-escape in '\(text)'")
            }
            bytes.append(high << 4 | low)
            utf8 = utf8.dropFirst(2)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw ParseError(message: "'\(text)' does not decode to UTF-8")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The name of the user this process runs as (libpq's default user).
    public static func currentUserName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid\(geteuid())"
    }
}
