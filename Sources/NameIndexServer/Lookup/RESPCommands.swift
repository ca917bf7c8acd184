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
/// for client libraries, `-READONLY` for writes, `-ERR unknown command` for the rest. The
/// commands, their arities and handlers are ``table``; the handlers are grouped by family
/// (`RESPCommands+Hash`, `+HSCAN`, `+Keys`, `+Connection`, `+Server`).
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
        if let spec = spec() {
            guard spec.accepts(count) else { return arity(&reply) }
            return spec.handler(self, &session, &tally, &reply, &cache)
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
