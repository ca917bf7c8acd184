import Glibc
import NameIndexCore
import NameIndexProtocol

/// Consecutive pipelined `HGET`s of one namespace, answered together so that their cache
/// misses overlap, as an `HMGET`'s do. A request of any other kind answers the batch first,
/// so replies keep their order.
struct HGETBatch {
    static let capacity = 32

    /// The keys, as byte ranges of the read.
    private(set) var keys: [Range<Int>] = []
    private var namespace: Range<Int> = 0..<0

    init() { keys.reserveCapacity(Self.capacity) }

    var isEmpty: Bool { keys.isEmpty }

    /// Whether a request with `arguments` (ranges from `offset` in `bytes`) is an HGET that
    /// may join the batch: three arguments, and the batch is empty or of the same namespace
    /// and not full. When it is an HGET that may not join, answer the batch and ask again.
    func accepts(_ bytes: UnsafeRawBufferPointer, _ arguments: [Range<Int>], at offset: Int) -> Bool {
        guard keys.count < Self.capacity else { return false }
        guard keys.isEmpty || arguments[1].count == namespace.count else { return false }
        if keys.isEmpty { return true }
        let name = UnsafeRawBufferPointer(rebasing: bytes[(arguments[1].lowerBound + offset)..<(arguments[1].upperBound + offset)])
        return name.count == 0 || memcmp(name.baseAddress!, bytes.baseAddress! + namespace.lowerBound, name.count) == 0
    }

    /// Whether the request is an HGET at all (three arguments, `HGET` in any case).
    static func isHGET(_ bytes: UnsafeRawBufferPointer, _ arguments: [Range<Int>], at offset: Int) -> Bool {
        arguments.count == 3
            && RESPCommands.matches(
                UnsafeRawBufferPointer(rebasing: bytes[(arguments[0].lowerBound + offset)..<(arguments[0].upperBound + offset)]),
                "hget")
    }

    mutating func add(_ arguments: [Range<Int>], at offset: Int) {
        if keys.isEmpty { namespace = (arguments[1].lowerBound + offset)..<(arguments[1].upperBound + offset) }
        keys.append((arguments[2].lowerBound + offset)..<(arguments[2].upperBound + offset))
    }

    /// Writes a reply for every HGET in the batch, in order, and empties it. Each reply is
    /// at most `limit` bytes: a name longer than that gets `-ERR` instead.
    mutating func answer(
        _ bytes: UnsafeRawBufferPointer, index: Index, tally: inout LookupTally, reply: inout RESPReply,
        cache: inout NamespaceCache, limit: Int
    ) {
        guard !keys.isEmpty else { return }
        defer { keys.removeAll(keepingCapacity: true) }
        guard let slot = RESPCommands.resolve(UnsafeRawBufferPointer(rebasing: bytes[namespace]), index: index, cache: &cache)
        else {
            for _ in keys { reply.null() }
            return
        }
        var hits = 0
        let keys = self.keys
        if keys.count > 1 {
            // All at once, their cache misses overlapped; bounded as a whole by one reply's limit.
            let mark = reply.limit(to: limit)
            index.names(slot: slot, count: keys.count, key: { UnsafeRawBufferPointer(rebasing: bytes[keys[$0]]) }) { i, name in
                if let name {
                    reply.bulk(name)
                    hits += 1
                } else {
                    reply.null()
                    tally.miss(slot: slot, key: UnsafeRawBufferPointer(rebasing: bytes[keys[i]]), index: index)
                }
            }
            guard reply.overflowed else {
                reply.unlimit()
                tally.count(slot: slot, namespaces: index.namespaceCount, lookups: keys.count, hits: hits)
                return
            }
            // Too much together: once more, one by one, each with its own bound.
            reply.rollback(to: mark)
            hits = 0
        }
        for key in keys {
            guard let name = index.name(slot: slot, key: UnsafeRawBufferPointer(rebasing: bytes[key])) else {
                reply.null()
                // A batch of more than one has noted its misses above.
                if keys.count == 1 { tally.miss(slot: slot, key: UnsafeRawBufferPointer(rebasing: bytes[key]), index: index) }
                continue
            }
            hits += 1
            let mark = reply.limit(to: limit)
            reply.bulk(name)
            if reply.overflowed {
                reply.rollback(to: mark)
                reply.error(LookupLimits(maximumReplyBytes: limit).replyTooLargeMessage)
            } else {
                reply.unlimit()
            }
        }
        tally.count(slot: slot, namespaces: index.namespaceCount, lookups: keys.count, hits: hits)
    }

}
