#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NameIndexCore
import NameIndexProtocol
import Synchronization

/// What the lookup server knows about itself, for `INFO`, `HELLO` and `CLIENT ID`.
final class LookupServerState: Sendable {
    enum Timeout { case request, idle }

    let counters: LookupCounters
    let startedAt = ContinuousClock.now
    let maximumConnections: Int
    private let connections = Atomic<Int>(0)
    private let nextID = Atomic<Int>(1)
    private let requestTimeouts = Atomic<Int>(0)
    private let idleTimeouts = Atomic<Int>(0)
    private let logger: Logger?
    private let timeoutLog = LogRateLimit()

    init(counters: LookupCounters, maximumConnections: Int, logger: Logger? = nil) {
        self.counters = counters
        self.maximumConnections = maximumConnections
        self.logger = logger
    }

    /// Counts a connection closed for a timeout, and says so (at most every 10 s).
    func noteTimeout(_ kind: Timeout) {
        switch kind {
        case .request: requestTimeouts.add(1, ordering: .relaxed)
        case .idle: idleTimeouts.add(1, ordering: .relaxed)
        }
        guard let logger else { return }
        timeoutLog.log { suppressed in
            let what = kind == .request ? "a request begun was not completed within request_timeout" : "idle for lookup_idle_timeout"
            logger.notice("Closing a lookup connection: \(what)\(suppressed > 0 ? " (and \(suppressed) more since the last message)" : "").")
        }
    }

    /// Connections closed for a half-sent request, and for being idle.
    var timeouts: (request: Int, idle: Int) {
        (requestTimeouts.load(ordering: .relaxed), idleTimeouts.load(ordering: .relaxed))
    }

    /// Takes a connection slot; false when `maximumConnections` are open.
    func open() -> Bool {
        let now = connections.add(1, ordering: .relaxed).newValue
        if now > maximumConnections {
            connections.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func close() { connections.subtract(1, ordering: .relaxed) }

    var connectionCount: Int { connections.load(ordering: .relaxed) }

    func newClientID() -> Int { nextID.add(1, ordering: .relaxed).oldValue }
}

/// One connection's settings.
struct RESPSession {
    var version: RESPReply.Version = .resp2
    var name: String?
    var libraryName: String?
    var libraryVersion: String?
    let id: Int
}

/// The namespace a connection named last, resolved once per generation: most clients ask
/// one namespace over and over. It holds no reference into the index, so an idle
/// connection never keeps an old generation's tables alive.
struct NamespaceCache {
    var generation: UInt64?
    var name: [UInt8] = []
    var slot = 0
}

/// Executes one request against one generation of the index, writing its reply.
///
/// Read-only: hash reads on namespaces (`HGET user 42`), server and connection commands
/// for client libraries, `-READONLY` for writes, `-ERR unknown command` for the rest.
struct RESPCommands {
    enum Outcome {
        case keepOpen
        /// Reply, then close the connection (`QUIT`).
        case close
    }

    let bytes: UnsafeRawBufferPointer
    let arguments: [Range<Int>]
    let index: Index
    let server: LookupServerState

    var count: Int { arguments.count }

    @inline(__always)
    func argument(_ i: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[arguments[i]]) }

    func string(_ i: Int) -> String { String(decoding: argument(i), as: UTF8.self) }

    /// Whether argument `i` is `word` (lower case ASCII), in any case.
    @inline(__always)
    func `is`(_ i: Int, _ word: StaticString) -> Bool { Self.matches(argument(i), word) }

    /// Whether `arg` is `word` (lower case ASCII), in any case.
    @inline(__always)
    static func matches(_ arg: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        guard arg.count == word.utf8CodeUnitCount else { return false }
        let expected = word.utf8Start
        for j in 0..<arg.count {
            let byte = arg[j]
            // Only upper-case letters fold; anything else must match exactly.
            let folded = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
            if folded != expected[j] { return false }
        }
        return true
    }

    /// The slot of the namespace named by argument `i`, through `cache`.
    @inline(__always)
    func resolve(_ i: Int, _ cache: inout NamespaceCache) -> Int? { Self.resolve(argument(i), index: index, cache: &cache) }

    /// The slot of the namespace called `name` in `index`, through `cache`.
    @inline(__always)
    static func resolve(_ name: UnsafeRawBufferPointer, index: Index, cache: inout NamespaceCache) -> Int? {
        if cache.generation == index.generation && cache.name.count == name.count
            && cache.name.withUnsafeBytes({ name.count == 0 || memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 })
        {
            return cache.slot
        }
        guard let slot = index.namespaceSlot(name) else { return nil }
        cache = NamespaceCache(generation: index.generation, name: Array(name), slot: slot)
        return slot
    }

    func execute(
        session: inout RESPSession, tally: inout LookupTally, reply: inout RESPReply, cache: inout NamespaceCache
    ) -> Outcome {
        // The lookups first: they are what the socket is for. A well-formed HGET never gets
        // here: the connection handler answers HGETs in batches (HGETBatch).
        if `is`(0, "hget") { return arity(&reply) }
        if `is`(0, "hmget") {
            guard count >= 3 else { return arity(&reply) }
            let keys = count - 2
            reply.array(keys)
            guard let slot = resolve(1, &cache) else {
                for _ in 0..<keys { reply.null() }
                return .keepOpen
            }
            var hits = 0
            index.names(slot: slot, count: keys, key: { argument($0 + 2) }) { _, name in
                if let name {
                    reply.bulk(name)
                    hits += 1
                } else {
                    reply.null()
                }
            }
            tally.count(slot: slot, namespaces: index.namespaceCount, lookups: keys, hits: hits)
            return .keepOpen
        }
        if `is`(0, "hexists") || `is`(0, "hstrlen") {
            guard count == 3 else { return arity(&reply) }
            let name = index.namespaceSlot(argument(1)).flatMap { slot in
                let name = index.name(slot: slot, key: argument(2))
                tally.count(slot: slot, namespaces: index.namespaceCount, lookups: 1, hits: name == nil ? 0 : 1)
                return name
            }
            if `is`(0, "hexists") {
                reply.integer(name == nil ? 0 : 1)
            } else {
                reply.integer(name?.count ?? 0)
            }
            return .keepOpen
        }
        if `is`(0, "hlen") {
            guard count == 2 else { return arity(&reply) }
            reply.integer(index.namespaceSlot(argument(1)).map { index.entries(slot: $0) } ?? 0)
            return .keepOpen
        }
        if `is`(0, "exists") {
            guard count >= 2 else { return arity(&reply) }
            reply.integer((1..<count).filter { index.namespaceSlot(argument($0)) != nil }.count)
            return .keepOpen
        }
        if `is`(0, "type") {
            guard count == 2 else { return arity(&reply) }
            if index.namespaceSlot(argument(1)) != nil { reply.simple("hash") } else { reply.simple("none") }
            return .keepOpen
        }
        if `is`(0, "hscan") { return hscan(&reply) }
        if `is`(0, "ping") {
            guard count <= 2 else { return arity(&reply) }
            if count == 2 { reply.bulk(argument(1)) } else { reply.simple("PONG") }
            return .keepOpen
        }
        if `is`(0, "echo") {
            guard count == 2 else { return arity(&reply) }
            reply.bulk(argument(1))
            return .keepOpen
        }
        if `is`(0, "dbsize") {
            guard count == 1 else { return arity(&reply) }
            reply.integer(index.namespaceCount)
            return .keepOpen
        }
        if `is`(0, "select") {
            guard count == 2 else { return arity(&reply) }
            if `is`(1, "0") { reply.simple("OK") } else { reply.error("ERR DB index is out of range") }
            return .keepOpen
        }
        if `is`(0, "quit") {
            reply.simple("OK")
            return .close
        }
        if `is`(0, "reset") {
            session.version = .resp2
            reply.version = .resp2
            session.name = nil
            reply.simple("RESET")
            return .keepOpen
        }
        if `is`(0, "hello") { return hello(&session, &reply) }
        if `is`(0, "client") { return client(&session, &reply) }
        if `is`(0, "info") { return info(&reply) }
        if `is`(0, "command") { return command(&reply) }
        if `is`(0, "config") {
            guard count >= 2 else { return arity(&reply) }
            if `is`(1, "get") {
                // The persistence settings clients and redis-benchmark ask for: none. Other names: no value.
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
        if `is`(0, "auth") {
            reply.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
            return .keepOpen
        }
        if Self.writeCommands.contains(lowercased(0)) {
            reply.error("READONLY You can't write against a read only replica.")
            return .keepOpen
        }
        let shown = (1..<min(count, 4)).map { "'\(string($0).prefix(128))'" }.joined(separator: " ")
        reply.error("ERR unknown command '\(string(0).prefix(128))', with args beginning with: \(shown)")
        return .keepOpen
    }

    private func arity(_ reply: inout RESPReply) -> Outcome {
        reply.error("ERR wrong number of arguments for '\(lowercased(0))' command")
        return .keepOpen
    }

    private func lowercased(_ i: Int) -> String { string(i).lowercased() }

    /// The commands that change data in Redis: refused with `-READONLY`.
    static let writeCommands: Set<String> = [
        "append", "blmove", "blmpop", "blpop", "brpop", "brpoplpush", "bzmpop", "bzpopmax", "bzpopmin", "copy", "decr",
        "decrby", "del", "expire", "expireat", "flushall", "flushdb", "geoadd", "getdel", "getex", "getset", "hdel",
        "hincrby", "hincrbyfloat", "hmset", "hset", "hsetnx", "incr", "incrby", "incrbyfloat", "linsert", "lmove",
        "lmpop", "lpop", "lpush", "lpushx", "lrem", "lset", "ltrim", "migrate", "move", "mset", "msetnx", "persist",
        "pexpire", "pexpireat", "pfadd", "pfmerge", "psetex", "rename", "renamenx", "restore", "rpop", "rpoplpush",
        "rpush", "rpushx", "sadd", "sdiffstore", "set", "setbit", "setex", "setnx", "setrange", "sinterstore", "smove",
        "sort", "spop", "srem", "sunionstore", "swapdb", "unlink", "xadd", "xdel", "xtrim", "zadd", "zincrby",
        "zpopmax", "zpopmin", "zrem", "zremrangebylex", "zremrangebyrank", "zremrangebyscore", "zunionstore",
        "zinterstore", "zdiffstore", "zrangestore", "eval", "evalsha", "fcall", "function", "script",
    ]

    // MARK: HSCAN

    static let maximumScanCount = 100_000

    /// The longest `MATCH` pattern HSCAN takes.
    static let maximumPatternBytes = 1024

    /// The matching work (in steps, see ``GlobPattern``) after which one HSCAN call returns.
    static let maximumMatchSteps = 16_000_000

    /// Buckets one HSCAN call may visit per entry it was asked for (`COUNT`, default 10).
    static let scanBucketsPerCount = 10

    /// `HSCAN ns cursor [MATCH pattern] [COUNT n] [NOVALUES]`. The cursor names a table of
    /// the namespace and a bucket in it (stable: a table's bucket order never changes) and
    /// carries the generation's low 16 bits; a cursor from another generation starts over,
    /// so every entry is still returned at least once.
    private func hscan(_ reply: inout RESPReply) -> Outcome {
        guard count >= 3 else { return arity(&reply) }
        guard let cursor = UInt64(string(2)) else {
            reply.error("ERR invalid cursor")
            return .keepOpen
        }
        var pattern: UnsafeRawBufferPointer?
        var wanted = 10
        var values = true
        var i = 3
        while i < count {
            if `is`(i, "match") && i + 1 < count {
                guard argument(i + 1).count <= Self.maximumPatternBytes else {
                    reply.error("ERR MATCH pattern is longer than \(Self.maximumPatternBytes) bytes")
                    return .keepOpen
                }
                pattern = argument(i + 1)
                i += 2
            } else if `is`(i, "count") && i + 1 < count {
                guard let n = Int(string(i + 1)), n >= 1 else {
                    reply.error("ERR value is not an integer or out of range")
                    return .keepOpen
                }
                // A hint, as in Redis; capped so that one call cannot build a reply of a whole
                // 10M-entry namespace in memory.
                wanted = min(n, Self.maximumScanCount)
                i += 2
            } else if `is`(i, "novalues") {
                values = false
                i += 1
            } else {
                reply.error("ERR syntax error")
                return .keepOpen
            }
        }
        guard let slot = index.namespaceSlot(argument(1)) else {
            reply.array(2)
            reply.bulk("0")
            reply.array(0)
            return .keepOpen
        }
        let tag = index.generation & 0xFFFF
        let tables = index.tables(slot: slot)
        var table = 0
        var bucket = 0
        if cursor != 0 && cursor >> 48 == tag {
            // A cursor of this generation names a table of this namespace and a bucket in
            // it; any other bits (a cursor made up, or taken from another namespace) are
            // refused before they index anything.
            table = Int((cursor >> 32) & 0xFFFF)
            bucket = Int(cursor & 0xFFFF_FFFF)
            guard table < tables.count, bucket < tables[table].bucketTotal else {
                reply.error("ERR invalid cursor")
                return .keepOpen
            }
        }
        // The work of one call is bounded by buckets visited, not by entries found (as
        // Redis's 10 × COUNT), so a MATCH that matches nothing still returns promptly with
        // a cursor to go on from.
        var budget = Self.scanBucketsPerCount * wanted
        // Matching costs at most (pattern + 1) × (key + 1) steps a key; past this many in
        // one call, the scan stops at the end of the chunk it is in.
        var matchSteps = 0
        // Keys are copied: an integer key's text is rendered into scratch space. Names point into the table.
        var found: [(key: [UInt8], name: UnsafeRawBufferPointer)] = []
        while table < tables.count && found.count < wanted && budget > 0 && matchSteps < Self.maximumMatchSteps {
            let current = tables[table]
            let end = min(current.bucketTotal, bucket + min(pattern == nil ? 64 : 1, budget))
            budget -= end - bucket
            current.forEachEntry(inBuckets: bucket..<end) { key, name in
                // A key that an earlier table of the namespace holds is hidden by it.
                for earlier in tables[0..<table] where earlier.contains(key) { return }
                if let pattern {
                    matchSteps += (pattern.count + 1) * (key.count + 1)
                    guard GlobPattern.matches(pattern, key) else { return }
                }
                found.append((Array(key), name))
            }
            bucket = end
            if bucket >= current.bucketTotal {
                table += 1
                bucket = 0
            }
        }
        let next: UInt64 = table >= tables.count ? 0 : (tag << 48) | (UInt64(table) << 32) | UInt64(bucket)
        reply.array(2)
        reply.bulk(String(next))
        reply.array(values ? 2 * found.count : found.count)
        for entry in found {
            entry.key.withUnsafeBytes { reply.bulk($0) }
            if values { reply.bulk(entry.name) }
        }
        return .keepOpen
    }

    // MARK: Server and connection

    private func hello(_ session: inout RESPSession, _ reply: inout RESPReply) -> Outcome {
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

    private func client(_ session: inout RESPSession, _ reply: inout RESPReply) -> Outcome {
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

    private func command(_ reply: inout RESPReply) -> Outcome {
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

    private func info(_ reply: inout RESPReply) -> Outcome {
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
