import ArgumentParser
import NameIndexProtocol

/// `namectl namespaces`
struct Namespaces: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the namespaces and their entry counts.")

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    func run() async throws {
        try await runReportingErrors {
            let reply = try await options.client.listNamespaces()
            if options.json {
                try printJSON(reply)
                return
            }
            var table = TextTable(columns: ["NAMESPACE", "ENTRIES"], rightAligned: [1])
            for namespace in reply.namespaces {
                table.append([namespace.name, HumanFormat.count(namespace.entries)])
            }
            print(table.render(legend: !options.noLegend), terminator: "")
            if !options.noLegend {
                print("\n\(reply.namespaces.count) namespaces listed (generation \(reply.generation)).")
            }
        }
    }
}
