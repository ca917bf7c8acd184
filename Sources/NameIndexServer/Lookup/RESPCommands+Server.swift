#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexCore
import NameIndexProtocol
import Synchronization

extension RESPCommands {
    // MARK: Server and connection

    func hello(_ session: inout RESPSession, _ reply: inout RESPReply) -> Outcome {
        var i = 1
        if count >= 2 {
            guard let version = Int(string(1)) else {
                reply.error("ERR Protocol version is not an integer or out of range")
                return .keepOpen
            }
            guard let chosen = RESPReply.Version(rawValue: version) else {
                reply.error("NOPROTO unsupported protocol version")
                return .keepOpen
            }
            i = 2
            var name: String?
            while i < count {
                if `is`(i, "auth") && i + 2 < count {
                    reply.error("WRONGPASS nameindexd has no users; connect without AUTH")
                    return .keepOpen
                } else if `is`(i, "setname") && i + 1 < count {
                    name = string(i + 1)
                    i += 2
                } else {
                    reply.error("ERR Syntax error in HELLO option '\(string(i))'")
                    return .keepOpen
                }
            }
            session.version = chosen
            reply.version = chosen
            if let name { session.name = name }
        }
        reply.map(7)
        reply.bulk("server")
        reply.bulk("redis")
        reply.bulk("version")
        reply.bulk(LookupServer.redisVersion)
        reply.bulk("proto")
        reply.integer(session.version.rawValue)
        reply.bulk("id")
        reply.integer(session.id)
        reply.bulk("mode")
        reply.bulk("standalone")
        reply.bulk("role")
        reply.bulk("master")
        reply.bulk("modules")
        reply.array(0)
        return .keepOpen
    }

    func client(_ session: inout RESPSession, _ reply: inout RESPReply) -> Outcome {
        guard count >= 2 else { return arity(&reply) }
        if `is`(1, "setname") && count == 3 {
            session.name = string(2)
            reply.simple("OK")
        } else if `is`(1, "getname") && count == 2 {
            if let name = session.name { reply.bulk(name) } else { reply.null() }
        } else if `is`(1, "id") && count == 2 {
            reply.integer(session.id)
        } else if `is`(1, "setinfo") && count == 4 {
            if `is`(2, "lib-name") {
                session.libraryName = string(3)
            } else if `is`(2, "lib-ver") {
                session.libraryVersion = string(3)
            } else {
                reply.error("ERR Unrecognized option '\(string(2))'")
                return .keepOpen
            }
            reply.simple("OK")
        } else {
            reply.error("ERR unknown subcommand '\(string(1))'. Try CLIENT HELP.")
        }
        return .keepOpen
    }

    /// The commands this socket answers, for `COMMAND` and `COMMAND COUNT`: name, arity, flags.
    static let commandTable: [(String, Int, [String])] = [
        ("hget", 3, ["readonly", "fast"]), ("hmget", -3, ["readonly", "fast"]), ("hexists", 3, ["readonly", "fast"]),
        ("hlen", 2, ["readonly", "fast"]), ("hstrlen", 3, ["readonly", "fast"]), ("exists", -2, ["readonly", "fast"]),
        ("type", 2, ["readonly", "fast"]), ("hscan", -3, ["readonly"]), ("ping", -1, ["fast"]), ("echo", 2, ["fast"]),
        ("info", -1, ["loading", "stale"]), ("dbsize", 1, ["readonly", "fast"]), ("select", 2, ["loading", "stale", "fast"]),
        ("client", -2, ["loading", "stale"]), ("hello", -1, ["noscript", "loading", "stale", "fast"]),
        ("quit", -1, ["loading", "stale", "fast"]), ("reset", 1, ["loading", "stale", "fast"]),
        ("command", -1, ["loading", "stale"]), ("config", -2, ["admin", "loading", "stale"]),
    ]

    func command(_ reply: inout RESPReply) -> Outcome {
        if count == 1 {
            reply.array(Self.commandTable.count)
            for (name, arity, flags) in Self.commandTable {
                let keyed = ["hget", "hmget", "hexists", "hlen", "hstrlen", "exists", "type", "hscan"].contains(name)
                reply.array(6)
                reply.bulk(name)
                reply.integer(arity)
                reply.set(flags.count)
                for flag in flags { reply.simple(string: flag) }
                reply.integer(keyed ? 1 : 0)
                reply.integer(keyed ? (name == "exists" ? -1 : 1) : 0)
                reply.integer(keyed ? 1 : 0)
            }
        } else if `is`(1, "count") {
            reply.integer(Self.commandTable.count)
        } else if `is`(1, "docs") {
            reply.map(0)
        } else if `is`(1, "info") {
            reply.array(count - 2)
            for _ in 2..<count { reply.null() }
        } else {
            reply.error("ERR unknown subcommand '\(string(1))'. Try COMMAND HELP.")
        }
        return .keepOpen
    }

    func info(_ reply: inout RESPReply) -> Outcome {
        let all = ["server", "clients", "memory", "stats", "keyspace"]
        var sections = (1..<count).map { lowercased($0) }
        if sections.isEmpty || sections.contains("all") || sections.contains("everything") || sections.contains("default") {
            sections = all
        }
        var text = ""
        for section in all where sections.contains(section) {
            if !text.isEmpty { text += "\r\n" }
            switch section {
            case "server":
                let uptime = ContinuousClock.now - server.startedAt
                text += "# Server\r\nredis_version:\(LookupServer.redisVersion)\r\nnameindexd_version:\(ProductInfo.version)\r\n"
                text += "redis_mode:standalone\r\nos:Linux\r\nprocess_id:\(getpid())\r\n"
                text += "uptime_in_seconds:\(uptime.components.seconds)\r\ngeneration:\(index.generation)\r\n"
            case "clients":
                text += "# Clients\r\nconnected_clients:\(server.connectionCount)\r\nmaxclients:\(server.maximumConnections)\r\n"
            case "memory":
                text += "# Memory\r\nused_memory:\(index.memoryBytes)\r\nused_memory_rss:\(Self.residentBytes())\r\n"
            case "stats":
                let total = server.counters.total()
                text += "# Stats\r\nlookups:\(total.lookups)\r\nhits:\(total.hits)\r\nmisses:\(total.misses)\r\n"
                text += "keyspace_hits:\(total.hits)\r\nkeyspace_misses:\(total.misses)\r\n"
            case "keyspace":
                let counts = server.counters.snapshot()
                text += "# Keyspace\r\ndb0:keys=\(index.namespaceCount),expires=0,avg_ttl=0\r\n"
                for slot in 0..<index.namespaceCount {
                    let name = index.namespaceName(slot: slot)
                    let c = counts[name] ?? LookupCounters.Counts()
                    text += "\(name):entries=\(index.entries(slot: slot)),lookups=\(c.lookups),hits=\(c.hits),misses=\(c.misses)\r\n"
                }
            default: break
            }
        }
        reply.verbatim(text)
        return .keepOpen
    }

    /// This process's resident set, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
