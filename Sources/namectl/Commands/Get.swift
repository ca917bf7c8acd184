import Foundation
import ArgumentParser
import NameIndexProtocol

/// `namectl get NAMESPACE KEY...`
struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resolve keys to names.",
        discussion: """
            Prints one 'key<TAB>name' line per key found, in the order given. Like getent(1), \
            exits 2 when one or more keys were not found, and 1 on errors. A single key '-' reads \
            the keys from standard input instead, one per line (empty lines are skipped), and \
            looks them up in batches of \(Get.batchKeys) over one connection, printing each \
            batch as it comes back: any number of keys, in memory one batch at a time.
            """)

    /// Keys per Lookup call when reading standard input.
    static let batchKeys = 10_000

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    @Argument(help: "The namespace, e.g. user.")
    var namespace: String

    @Argument(help: "The keys to resolve; '-' alone reads them from standard input, one per line.")
    var keys: [String]

    func validate() throws {
        if keys == ["-"] && options.json { throw ValidationError("'-' (keys from standard input) prints lines, not --json") }
    }

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
        if keys == ["-"] && !options.json { return try await runFromStandardInput() }
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

    /// `get NAMESPACE -`: batches of standard input's lines, each looked up and printed before
    /// the next is read.
    private func runFromStandardInput() async throws {
        var missing = false
        try await runReportingErrors {
            try await options.client.withSession { session in
                var batch: [String] = []
                batch.reserveCapacity(Self.batchKeys)
                func flush() async throws {
                    guard !batch.isEmpty else { return }
                    let reply = try await session.lookup(namespace: namespace, keys: batch)
                    var out = ""
                    for (key, name) in zip(batch, reply.names) {
                        if let name { out += key + "\t" + name + "\n" } else { missing = true }
                    }
                    FileHandle.standardOutput.write(Data(out.utf8))
                    batch.removeAll(keepingCapacity: true)
                }
                while let line = readLine(strippingNewline: true) {
                    let key = line.hasSuffix("\r") ? String(line.dropLast()) : line
                    if key.isEmpty { continue }
                    batch.append(key)
                    if batch.count == Self.batchKeys { try await flush() }
                }
                try await flush()
            }
        }
        if missing { throw ExitCode(2) }
    }
}
