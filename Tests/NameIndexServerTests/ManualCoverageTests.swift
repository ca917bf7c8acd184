import Foundation
import NameIndexServer
import Testing

/// Every configuration key the loader accepts has its own entry in nameindexd.toml(5).
@Suite struct ManualCoverageTests {
    static let page: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("man/nameindexd.toml.5"), encoding: .utf8)) ?? ""
    }()

    /// The keys with an entry of their own: `.It Ic key`.
    static var entries: Set<String> {
        Set(page.split(separator: "\n").compactMap { line in
            line.hasPrefix(".It Ic ") ? String(line.dropFirst(".It Ic ".count)).trimmingCharacters(in: .whitespaces) : nil
        })
    }

    @Test func everyDaemonKeyHasAnEntry() {
        #expect(!Self.page.isEmpty, "man/nameindexd.toml.5 is readable")
        let missing = ConfigurationLoader.daemonKeys.subtracting(Self.entries)
        #expect(missing.isEmpty, "[daemon] keys without an entry in nameindexd.toml(5): \(missing.sorted())")
    }

    @Test(arguments: Configuration.Kind.allCases)
    func everySourceKeyHasAnEntry(kind: Configuration.Kind) {
        let missing = ConfigurationLoader.sourceKeys(kind).subtracting(Self.entries)
        #expect(missing.isEmpty, "keys of kind '\(kind.rawValue)' without an entry in nameindexd.toml(5): \(missing.sorted())")
        #expect(Self.page.contains(".Ss kind = \\(dq\(kind.rawValue)\\(dq"), "a section for kind '\(kind.rawValue)'")
    }

    @Test func everyEntryGivesTypeDefaultAndExample() {
        // Each entry runs from its .It to the next .It, .El or section.
        let lines = Self.page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var key: String?
        var body: [String] = []
        var checked = 0
        func finish() {
            guard let key else { return }
            let text = body.joined(separator: "\n")
            let typed = ["String", "Integer", "Boolean", "Time span", "Absolute path", "Array of strings"].contains { text.hasPrefix($0) }
            #expect(typed, "\(key): the entry starts with its type")
            let defaulted = text.lowercased().contains("default") || text.contains("required")
            #expect(defaulted, "\(key): the entry gives its default or says it is required")
            #expect(text.contains(".Dl "), "\(key): the entry has an example")
            checked += 1
        }
        for line in lines {
            if line.hasPrefix(".It Ic ") {
                finish()
                key = String(line.dropFirst(".It Ic ".count))
                body = []
            } else if line.hasPrefix(".El") || line.hasPrefix(".Ss") || line.hasPrefix(".Sh") {
                finish()
                key = nil
            } else if key != nil {
                body.append(line)
            }
        }
        #expect(checked >= ConfigurationLoader.daemonKeys.count + ConfigurationLoader.sourceKeys(.postgresql).count)
    }
}
