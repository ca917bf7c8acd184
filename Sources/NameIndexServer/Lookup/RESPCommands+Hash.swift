import NameIndexCore
import NameIndexProtocol

extension RESPCommands {
    // MARK: Hash reads: a namespace is a hash, an id its field

    /// `HMGET ns id…`: one batched lookup.
    func hmget(_ tally: inout LookupTally, _ reply: inout RESPReply, _ cache: inout NamespaceCache) -> Outcome {
        let keys = count - 2
        reply.array(keys)
        guard let slot = resolve(1, &cache) else {
            for _ in 0..<keys { reply.null() }
            return .keepOpen
        }
        var hits = 0
        index.names(slot: slot, count: keys, key: { argument($0 + 2) }) { i, name in
            if let name {
                reply.bulk(name)
                hits += 1
            } else {
                reply.null()
                tally.miss(slot: slot, key: argument(i + 2), index: index)
            }
        }
        tally.count(slot: slot, namespaces: index.namespaceCount, lookups: keys, hits: hits)
        return .keepOpen
    }

    /// `HGET ns id`, one at a time (the connection handler batches the well-formed ones).
    func hget(_ tally: inout LookupTally, _ reply: inout RESPReply, _ cache: inout NamespaceCache) -> Outcome {
        if let name = lookUpOne(&tally, &cache) { reply.bulk(name) } else { reply.null() }
        return .keepOpen
    }

    func hexists(_ tally: inout LookupTally, _ reply: inout RESPReply, _ cache: inout NamespaceCache) -> Outcome {
        reply.integer(lookUpOne(&tally, &cache) == nil ? 0 : 1)
        return .keepOpen
    }

    func hstrlen(_ tally: inout LookupTally, _ reply: inout RESPReply, _ cache: inout NamespaceCache) -> Outcome {
        reply.integer(lookUpOne(&tally, &cache)?.count ?? 0)
        return .keepOpen
    }

    /// The name of argument 2 in the namespace of argument 1, counted.
    private func lookUpOne(_ tally: inout LookupTally, _ cache: inout NamespaceCache) -> UnsafeRawBufferPointer? {
        resolve(1, &cache).flatMap { slot in
            let name = index.name(slot: slot, key: argument(2))
            tally.count(slot: slot, namespaces: index.namespaceCount, lookups: 1, hits: name == nil ? 0 : 1)
            if name == nil { tally.miss(slot: slot, key: argument(2), index: index) }
            return name
        }
    }

    func hlen(_ reply: inout RESPReply) -> Outcome {
        reply.integer(index.namespaceSlot(argument(1)).map { index.entries(slot: $0) } ?? 0)
        return .keepOpen
    }
}
