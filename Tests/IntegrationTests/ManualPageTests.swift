import Foundation
import Testing

/// The man pages lint clean, and every flag and verb of the programs appears in its page.
@Suite struct ManualPageTests {
    static let pages = ["man/namectl.1", "man/nameindexd.8", "man/nameindexd.toml.5"]

    static func page(_ name: String) throws -> String {
        try String(contentsOf: Products.packageRoot.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func mandocLintIsClean() throws {
        let lint = try spawnAndWait(
            "/usr/bin/mandoc", ["-T", "lint", "-W", "warning"] + Self.pages.map { Products.packageRoot.appendingPathComponent($0).path })
        #expect(lint.status == 0, "mandoc -T lint -W warning: \(lint.stdout)\(lint.stderr)")
    }

    /// Every command path and its long options, from ArgumentParser's own description.
    static func commands(of program: String) throws -> [(path: String, options: [String])] {
        let dump = try spawnAndWait(program, ["--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var result: [(String, [String])] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            let arguments = command["arguments"] as? [[String: Any]] ?? []
            let options = arguments.flatMap { argument -> [String] in
                (argument["names"] as? [[String: Any]] ?? []).compactMap { name in
                    name["kind"] as? String == "long" ? name["name"] as? String : nil
                }
            }
            result.append((path.joined(separator: " "), options))
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                walk(sub, path + [sub["commandName"] as? String ?? "?"])
            }
        }
        walk(try #require(root["command"] as? [String: Any]), [])
        return result
    }

    /// Whether `page` names the long option `name`: `--no-legend` is written `Fl \-no\-legend`
    /// in mdoc, or `\-no\-legend` after a short option (`Fl h , \-help`).
    static func names(_ page: String, _ name: String) -> Bool {
        let escaped = "\\-" + name.replacingOccurrences(of: "-", with: "\\-")
        return page.contains("Fl " + escaped) || page.contains(", " + escaped)
    }

    @Test func everyNamectlVerbAndOptionIsInItsPage() throws {
        let page = try Self.page("man/namectl.1")
        let commands = try Self.commands(of: Products.namectl)
        #expect(commands.count >= 5)
        for (path, options) in commands {
            if let verb = path.split(separator: " ").last, verb != "help" {
                let named = page.contains("Cm \(verb)")
                #expect(named, "namectl(1) names the verb '\(verb)'")
            }
            for option in options where option != "experimental-dump-help" {
                let named = Self.names(page, option)
                #expect(named, "namectl(1) names --\(option) (of 'namectl \(path)')")
            }
        }
    }

    @Test func everyNameindexdFlagIsInItsPage() throws {
        let page = try Self.page("man/nameindexd.8")
        let commands = try Self.commands(of: Products.nameindexd)
        let options = commands.flatMap(\.options)
        #expect(options.contains("check-config"))
        for option in options where option != "experimental-dump-help" {
            let named = Self.names(page, option)
            #expect(named, "nameindexd(8) names --\(option)")
        }
    }

    @Test(arguments: pages)
    func everyPageHasTheSectionsAnAdministratorLooksFor(page name: String) throws {
        let page = try Self.page(name)
        for section in ["EXAMPLES", "EXIT STATUS", "ENVIRONMENT", "FILES", "SEE ALSO"] {
            #expect(page.contains(".Sh \(section)"), "\(name) has \(section)")
        }
    }
}
