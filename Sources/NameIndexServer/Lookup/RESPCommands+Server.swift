#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexCore
import NameIndexProtocol
import Synchronization

extension RESPCommands {
    // MARK: Server: COMMAND, INFO, CONFIG

    /// `COMMAND`, `COMMAND COUNT`, `COMMAND INFO name…`, `COMMAND DOCS [name…]`: from ``table``.
    func command(_ reply: inout RESPReply) -> Outcome {
        if count == 1 {
            reply.array(Self.table.count)
            for spec in Self.table { describe(spec, &reply) }
        } else if `is`(1, "count") && count == 2 {
            reply.integer(Self.table.count)
        } else if `is`(1, "info") {
            reply.array(count - 2)
            for i in 2..<count {
                if let spec = spec(named: i) {
                    describe(spec, &reply)
                } else {
                    reply.null()
                }
            }
        } else if `is`(1, "docs") {
            let asked = count == 2 ? Self.table : Self.table.filter { spec in (2..<count).contains { `is`($0, spec.name) } }
            reply.map(asked.count)
            for spec in asked {
                reply.bulk(spec.nameString)
                reply.map(2)
                reply.bulk("summary")
                reply.bulk(spec.summary)
                reply.bulk("group")
                reply.bulk(spec.group)
            }
        } else {
            reply.error("ERR unknown subcommand '\(string(1))'. Try COMMAND HELP.")
        }
        return .keepOpen
    }

    /// One command as `COMMAND` lists it: name, arity, flags, first key, last key, step.
    private func describe(_ spec: RESPCommandSpec, _ reply: inout RESPReply) {
        reply.array(6)
        reply.bulk(spec.nameString)
        reply.integer(spec.arity)
        reply.set(spec.flags.count)
        for flag in spec.flags { reply.simple(string: flag) }
        reply.integer(spec.keys.first)
        reply.integer(spec.keys.last)
        reply.integer(spec.keys.step)
    }

    /// `CONFIG GET pattern…`: the persistence settings clients and redis-benchmark ask for
    /// (none); other names have no value. Other subcommands are refused.
    func config(_ reply: inout RESPReply) -> Outcome {
        if `is`(1, "get") {
            let known: [(String, String)] = [("save", ""), ("appendonly", "no")]
            let patterns = (2..<count).map { argument($0) }
            let matched = known.filter { name, _ in
                var name = name
                return name.withUTF8 { n in patterns.contains { GlobPattern.matches($0, UnsafeRawBufferPointer(n)) } }
            }
            reply.map(matched.count)
            for (name, value) in matched {
                reply.bulk(name)
                reply.bulk(value)
            }
        } else {
            reply.error("ERR CONFIG \(string(1)) is not supported by nameindexd (read-only)")
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
