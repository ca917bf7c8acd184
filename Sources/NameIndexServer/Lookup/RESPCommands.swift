#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NameIndexCore
import NameIndexProtocol
import Synchronization

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

    func arity(_ reply: inout RESPReply) -> Outcome {
        reply.error("ERR wrong number of arguments for '\(lowercased(0))' command")
        return .keepOpen
    }

    func lowercased(_ i: Int) -> String { string(i).lowercased() }

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
}
