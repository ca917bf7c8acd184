import NameIndexCore
import NameIndexProtocol

extension RESPCommands {
    // MARK: HSCAN

    static let maximumScanCount = 100_000

    /// The longest `MATCH` pattern HSCAN takes.
    static let maximumPatternBytes = 1024

    /// The matching work (in steps, see ``GlobPattern``) after which one HSCAN call returns.
    static let maximumMatchSteps = 16_000_000

    /// Buckets one HSCAN call may visit per entry it was asked for (`COUNT`, default 10).
    static let scanBucketsPerCount = 10

    /// `HSCAN ns cursor [MATCH pattern] [COUNT n] [NOVALUES]`. The cursor names a source of
    /// the namespace and a bucket of its base or overlay (stable: a table's bucket order never
    /// changes; the base's buckets come first, see ``SourceLayer``) and
    /// carries the generation's low 16 bits; a cursor from another generation starts over,
    /// so every entry is still returned at least once.
    func hscan(_ reply: inout RESPReply) -> Outcome {
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
        let tables = index.layers(slot: slot)
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
                // A key that an earlier source of the namespace answers is hidden by it.
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
}
