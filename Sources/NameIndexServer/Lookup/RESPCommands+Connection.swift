import NameIndexCore
import NameIndexProtocol

extension RESPCommands {
    // MARK: Connection

    /// `PING [message]`.
    func ping(_ reply: inout RESPReply) -> Outcome {
        guard count <= 2 else { return arity(&reply) }
        if count == 2 { reply.bulk(argument(1)) } else { reply.simple("PONG") }
        return .keepOpen
    }

    func echo(_ reply: inout RESPReply) -> Outcome {
        reply.bulk(argument(1))
        return .keepOpen
    }

    /// `SELECT 0`: the only database.
    func select(_ reply: inout RESPReply) -> Outcome {
        if `is`(1, "0") { reply.simple("OK") } else { reply.error("ERR DB index is out of range") }
        return .keepOpen
    }

    func quit(_ reply: inout RESPReply) -> Outcome {
        reply.simple("OK")
        return .close
    }

    func reset(_ session: inout RESPSession, _ reply: inout RESPReply) -> Outcome {
        session.version = .resp2
        reply.version = .resp2
        session.name = nil
        reply.simple("RESET")
        return .keepOpen
    }

    func auth(_ reply: inout RESPReply) -> Outcome {
        reply.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
        return .keepOpen
    }

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
}
