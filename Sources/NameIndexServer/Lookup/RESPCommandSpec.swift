import NameIndexProtocol

/// One command the lookup socket answers: the one place its name, arity, flags and key
/// positions are written. Dispatch, the arity error and `COMMAND` (`COUNT`, `INFO`, `DOCS`)
/// all read ``RESPCommands/table``.
struct RESPCommandSpec: Sendable {
    typealias Handler = @Sendable (
        RESPCommands, inout RESPSession, inout LookupTally, inout RESPReply, inout NamespaceCache
    ) -> RESPCommands.Outcome

    /// Lower case.
    let name: StaticString
    /// Redis's arity, counting the name: `n` exactly n words, `-n` at least n.
    let arity: Int
    /// Redis's command flags, for `COMMAND`.
    let flags: [String]
    /// Key positions for `COMMAND`: first, last (-1: the last argument) and step; all 0 for
    /// a command without keys. A namespace is the key of the hash commands.
    let keys: (first: Int, last: Int, step: Int)
    /// Redis's group (`hash`, `generic`, `connection`, `server`) and a one-line summary, for
    /// `COMMAND DOCS`.
    let group: String
    let summary: String
    let handler: Handler

    init(
        _ name: StaticString, arity: Int, flags: [String], keys: (Int, Int, Int) = (0, 0, 0), group: String,
        summary: String, handler: @escaping Handler
    ) {
        self.name = name
        self.arity = arity
        self.flags = flags
        self.keys = keys
        self.group = group
        self.summary = summary
        self.handler = handler
    }

    /// Whether `count` words (the name included) fit the arity.
    func accepts(_ count: Int) -> Bool { arity >= 0 ? count == arity : count >= -arity }

    var nameString: String { name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }
}

extension RESPCommands {
    /// Every command the socket answers, the lookups first: dispatch tries them in this order.
    /// (A well-formed HGET does not get here: the connection handler answers HGETs in
    /// batches, ``HGETBatch``.)
    static let table: [RESPCommandSpec] = [
        .init("hmget", arity: -3, flags: ["readonly", "fast"], keys: (1, 1, 1), group: "hash",
              summary: "Returns the names of ids in a namespace.") { $0.hmget(&$2, &$3, &$4) },
        .init("hget", arity: 3, flags: ["readonly", "fast"], keys: (1, 1, 1), group: "hash",
              summary: "Returns the name of an id in a namespace.") { $0.hget(&$2, &$3, &$4) },
        .init("hexists", arity: 3, flags: ["readonly", "fast"], keys: (1, 1, 1), group: "hash",
              summary: "Determines whether an id has a name in a namespace.") { $0.hexists(&$2, &$3, &$4) },
        .init("hstrlen", arity: 3, flags: ["readonly", "fast"], keys: (1, 1, 1), group: "hash",
              summary: "Returns the length of an id's name, in bytes.") { $0.hstrlen(&$2, &$3, &$4) },
        .init("hlen", arity: 2, flags: ["readonly", "fast"], keys: (1, 1, 1), group: "hash",
              summary: "Returns the number of ids in a namespace.") { c, _, _, reply, _ in c.hlen(&reply) },
        .init("hscan", arity: -3, flags: ["readonly"], keys: (1, 1, 1), group: "hash",
              summary: "Iterates over the ids and names of a namespace.") { c, _, _, reply, _ in c.hscan(&reply) },
        .init("exists", arity: -2, flags: ["readonly", "fast"], keys: (1, -1, 1), group: "generic",
              summary: "Determines whether namespaces exist.") { c, _, _, reply, _ in c.exists(&reply) },
        .init("type", arity: 2, flags: ["readonly", "fast"], keys: (1, 1, 1), group: "generic",
              summary: "Returns hash for a namespace, none for anything else.") { c, _, _, reply, _ in c.type(&reply) },
        .init("ping", arity: -1, flags: ["fast"], group: "connection",
              summary: "Returns PONG, or its argument.") { c, _, _, reply, _ in c.ping(&reply) },
        .init("echo", arity: 2, flags: ["fast"], group: "connection",
              summary: "Returns its argument.") { c, _, _, reply, _ in c.echo(&reply) },
        .init("info", arity: -1, flags: ["loading", "stale"], group: "server",
              summary: "Returns information about the server and the index.") { c, _, _, reply, _ in c.info(&reply) },
        .init("dbsize", arity: 1, flags: ["readonly", "fast"], group: "server",
              summary: "Returns the number of namespaces.") { c, _, _, reply, _ in c.dbsize(&reply) },
        .init("select", arity: 2, flags: ["loading", "stale", "fast"], group: "connection",
              summary: "Accepts database 0, the only one.") { c, _, _, reply, _ in c.select(&reply) },
        .init("client", arity: -2, flags: ["loading", "stale"], group: "connection",
              summary: "Names the connection, returns its id or name.") { c, session, _, reply, _ in c.client(&session, &reply) },
        .init("hello", arity: -1, flags: ["noscript", "loading", "stale", "fast"], group: "connection",
              summary: "Chooses RESP2 or RESP3 and returns facts about the server.") { c, session, _, reply, _ in c.hello(&session, &reply) },
        .init("quit", arity: -1, flags: ["loading", "stale", "fast"], group: "connection",
              summary: "Closes the connection.") { c, _, _, reply, _ in c.quit(&reply) },
        .init("reset", arity: 1, flags: ["loading", "stale", "fast"], group: "connection",
              summary: "Returns the connection to RESP2 without a name.") { c, session, _, reply, _ in c.reset(&session, &reply) },
        .init("command", arity: -1, flags: ["loading", "stale"], group: "server",
              summary: "Describes the commands of this socket.") { c, _, _, reply, _ in c.command(&reply) },
        .init("config", arity: -2, flags: ["admin", "loading", "stale"], group: "server",
              summary: "CONFIG GET of the persistence settings (there are none).") { c, _, _, reply, _ in c.config(&reply) },
        .init("auth", arity: -2, flags: ["noscript", "loading", "stale", "fast"], group: "connection",
              summary: "Refused: the socket has no users.") { c, _, _, reply, _ in c.auth(&reply) },
    ]

    /// The table entry named by argument `i` (the command, by default), in any case.
    func spec(named i: Int = 0) -> RESPCommandSpec? {
        for spec in Self.table where `is`(i, spec.name) { return spec }
        return nil
    }
}
