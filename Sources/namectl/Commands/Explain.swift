import ArgumentParser
import Foundation
import NameIndexProtocol

/// `namectl explain NAMESPACE KEY`
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain why a key has the name it has, or none.",
        discussion: """
            Lists every source of the namespace in lookup order and what each says about the \
            key: a name from its base table, a name or a tombstone from a delta overlay, or \
            nothing; which one answers and from which generation; the names the later sources \
            would give (shadowed); and rows with this key that a source skipped in its last \
            load (from its skipped_sample). Exits 1 when no source answers the key.
            """)

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    @Argument(help: "The namespace.") var namespace: String
    @Argument(help: "The key.") var key: String

    func run() async throws {
        var answered = false
        try await runReportingErrors {
            let reply = try await options.client.explain(namespace: namespace, key: key)
            answered = reply.answeredBy != nil
            if options.json {
                try printJSON(reply)
                return
            }
            print(Self.render(reply, now: UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000))), terminator: "")
        }
        if !answered { throw ExitCode(1) }
    }

    static func render(_ reply: IndexInterface.ExplainReply, now: UInt64) -> String {
        let key = reply.key
        var out = ""
        if let source = reply.answeredBy, let name = reply.name {
            out += "\(reply.namespace) \(key) = \(name)\n  answered by source '\(source)', generation \(reply.generation) "
            out += "(built \(HumanFormat.ago(reply.generationCreatedAtUSec, now: now)))\n"
        } else {
            out += "\(reply.namespace) \(key): no source answers it (generation \(reply.generation)); consulted "
            out += reply.sources.map { "'\($0.source)'" }.joined(separator: ", ") + "\n"
        }
        var answeredYet = false
        for source in reply.sources {
            var line = "  \(source.source) (\(source.kind)): "
            switch source.answer {
            case .name: line += "\(source.name ?? "") from its base table"
            case .overlay: line += "\(source.name ?? "") from a delta"
            case .deleted: line += "deleted by a delta (a tombstone): the next source may answer"
            case .absent: line += "not held"
            }
            if source.name != nil {
                if answeredYet { line += " — shadowed" } else if reply.answeredBy == source.source { line += " — answers" }
                answeredYet = true
                if let at = source.loadedAtUSec { line += "; loaded \(HumanFormat.ago(at, now: now))" }
                if let partition = source.partition {
                    line += ", partition \(partition)"
                } else if source.partitions > 1 {
                    line += ", one of \(source.partitions) partitions"
                }
            }
            out += line + "\n"
            for row in source.skipped {
                out += "    skipped in its last load (\(row.reason)) at \(row.location): \(row.raw)\n"
            }
        }
        return out
    }
}
