import ArgumentParser
import NameIndexProtocol

/// `namectl get NAMESPACE KEY...`
struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resolve keys to names.",
        discussion: """
            Prints one 'key<TAB>name' line per key found, in the order given. Like getent(1), \
            exits 2 when one or more keys were not found, and 1 on errors.
            """)

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    @Argument(help: "The namespace, e.g. user.")
    var namespace: String

    @Argument(help: "The keys to resolve.")
    var keys: [String]

    struct Result: Encodable {
        var key: String
        var name: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(key, forKey: .key)
            try container.encode(name, forKey: .name)
        }

        enum CodingKeys: String, CodingKey { case key, name }
    }

    struct Output: Encodable {
        var namespace: String
        var generation: UInt64
        var results: [Result]
    }

    func run() async throws {
        var missing = false
        try await runReportingErrors {
            let reply = try await options.client.lookup(namespace: namespace, keys: keys)
            missing = reply.names.contains(nil)
            if options.json {
                try printJSON(
                    Output(
                        namespace: namespace, generation: reply.generation,
                        results: zip(keys, reply.names).map { Result(key: $0, name: $1) }))
            } else {
                for (key, name) in zip(keys, reply.names) {
                    if let name { print("\(key)\t\(name)") }
                }
            }
        }
        if missing { throw ExitCode(2) }
    }
}
