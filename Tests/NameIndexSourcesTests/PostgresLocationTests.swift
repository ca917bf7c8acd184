@testable import NameIndexSources
import Testing

@Suite struct PostgresLocationTests {
    func parse(_ uri: String) throws -> PostgresLocation { try PostgresLocation(parsing: uri, defaultUser: "daemon") }

    func message(_ uri: String) -> String? {
        do {
            _ = try parse(uri)
            return nil
        } catch let error as PostgresLocation.ParseError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func tcpWithEverything() throws {
        let l = try parse("postgresql://reader@db.example.com:6543/warehouse?sslmode=require&application_name=ix&connect_timeout=5")
        #expect(l.user == "reader")
        #expect(l.host == "db.example.com")
        #expect(!l.isUnixSocket)
        #expect(l.port == 6543)
        #expect(l.database == "warehouse")
        #expect(l.sslMode == .require)
        #expect(l.applicationName == "ix")
        #expect(l.connectTimeout == 5)
        #expect(l.description == "postgresql://reader@db.example.com:6543/warehouse")
    }

    @Test func defaultsFollowLibpq() throws {
        let l = try parse("postgresql://")
        #expect(l.user == "daemon")
        #expect(l.host == "/run/postgresql")
        #expect(l.isUnixSocket)
        #expect(l.port == 5432)
        #expect(l.database == "daemon")
        #expect(l.sslMode == .prefer)
        #expect(l.socketPath == "/run/postgresql/.s.PGSQL.5432")
    }

    @Test func unixSocketDirectoryAsParameterOrEscapedHost() throws {
        let a = try parse("postgresql://app@/users?host=/var/run/pg&port=5433")
        #expect(a.isUnixSocket && a.host == "/var/run/pg" && a.port == 5433 && a.database == "users" && a.user == "app")
        #expect(a.socketPath == "/var/run/pg/.s.PGSQL.5433")
        let b = try parse("postgres://app@%2Fvar%2Frun%2Fpg/users")
        #expect(b.host == "/var/run/pg" && b.database == "users")
        #expect(try parse(a.description) == a)
    }

    @Test func ipv6AndEscapes() throws {
        let l = try parse("postgresql://us%40er@[::1]:5439/d%C3%A9mo")
        #expect(l.host == "::1" && l.port == 5439 && l.user == "us@er" && l.database == "démo")
        #expect(l.description == "postgresql://us@er@[::1]:5439/démo")
        #expect(try parse("postgresql://[::1]/x").port == 5432)
    }

    @Test func parametersOverrideTheAuthority() throws {
        let l = try parse("postgresql://a@h/db?user=b&dbname=other&host=h2")
        #expect(l.user == "b" && l.database == "other" && l.host == "h2")
    }

    @Test func refusesPasswordsAndNonsense() {
        #expect(message("postgresql://u:secret@h/db")?.contains("password_file") == true)
        #expect(message("postgresql://u@h/db?password=secret")?.contains("password_file") == true)
        #expect(message("mysql://u@h/db")?.contains("postgresql://") == true)
        #expect(message("postgresql://h:99999/db")?.contains("port") == true)
        #expect(message("postgresql://h:abc/db")?.contains("port") == true)
        #expect(message("postgresql://h1,h2/db")?.contains("several hosts") == true)
        #expect(message("postgresql://h/db?sslmode=maybe")?.contains("sslmode") == true)
        #expect(message("postgresql://h/db?target_session_attrs=any")?.contains("unknown parameter") == true)
        #expect(message("postgresql://h/db?host")?.contains("no value") == true)
        #expect(message("postgresql://h/d%ZZ")?.contains("percent-escape") == true)
        #expect(message("postgresql://h/d%FF")?.contains("UTF-8") == true)
        #expect(message("postgresql://[::1/db")?.contains("]") == true)
        #expect(message("postgresql://h/db?connect_timeout=0")?.contains("connect_timeout") == true)
    }
}
