import NameIndexCore
import NameIndexProtocol

extension RESPCommands {
    // MARK: Keys: the namespaces

    func exists(_ reply: inout RESPReply) -> Outcome {
        reply.integer((1..<count).filter { index.namespaceSlot(argument($0)) != nil }.count)
        return .keepOpen
    }

    func type(_ reply: inout RESPReply) -> Outcome {
        if index.namespaceSlot(argument(1)) != nil { reply.simple("hash") } else { reply.simple("none") }
        return .keepOpen
    }

    func dbsize(_ reply: inout RESPReply) -> Outcome {
        reply.integer(index.namespaceCount)
        return .keepOpen
    }
}
