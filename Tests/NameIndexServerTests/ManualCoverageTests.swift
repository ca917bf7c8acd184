import Foundation
import NameIndexServer
import Testing

/// nameindexd.toml(5)'s key tables are derived from the code: each section lists exactly the
/// keys of its group, with the type and the required-or-default the code gives them, so no key
/// can be accepted and undocumented, or documented and refused.
@Suite struct ManualCoverageTests {
    static let page: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("man/nameindexd.toml.5"), encoding: .utf8)) ?? ""
    }()

    /// One `.Ss` section: its title (with `\(dq` as `"`), its `.It Ic` entries and their text, and its lines.
    struct Section {
        var title: String
        var entries: [(key: String, text: String)] = []
        var lines: [String] = []
    }

    static let sections: [Section] = {
        var sections: [Section] = []
        var entry: (key: String, lines: [String])?
        func finish() {
            if let done = entry { sections[sections.count - 1].entries.append((done.key, done.lines.joined(separator: "\n"))) }
            entry = nil
        }
        for line in page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix(".Ss ") || line.hasPrefix(".Sh ") {
                finish()
                sections.append(Section(title: String(line.dropFirst(4)).replacingOccurrences(of: "\\(dq", with: "\"")))
            } else if sections.isEmpty {
                continue
            } else if line.hasPrefix(".It Ic ") {
                finish()
                entry = (String(line.dropFirst(".It Ic ".count)).trimmingCharacters(in: .whitespaces), [])
            } else if line.hasPrefix(".El") {
                finish()
            } else {
                entry?.lines.append(line)
            }
            sections[sections.count - 1].lines.append(line)
        }
        finish()
        return sections
    }()

    static func section(_ title: String) -> Section? { sections.first { $0.title == title } }

    /// The groups the code documents: the keys of every source and each kind's groups, once each.
    static var groups: [SourceKeyGroup] {
        var seen: Set<String> = []
        return ([SourceKeyGroup.common] + SourceKinds.all.flatMap { $0.keyGroups }).filter { seen.insert($0.title).inserted }
    }

    func expectEntries(_ section: Section?, _ keys: [ConfigurationKey], _ title: String) {
        guard let section else {
            Issue.record("nameindexd.toml(5) has no section '\(title)'")
            return
        }
        #expect(section.entries.map(\.key).sorted() == keys.map(\.name).sorted(), "the entries of '\(title)'")
        for key in keys {
            guard let text = section.entries.first(where: { $0.key == key.name })?.text else { continue }
            #expect(text.hasPrefix(key.type.rawValue), "\(title): \(key.name) opens with its type, \(key.type.rawValue)")
            let says = text.components(separatedBy: "\n").first ?? ""
            #expect(says.contains("required") == key.required, "\(title): \(key.name) says whether it is required")
        }
    }

    @Test func theDaemonTableListsTheDaemonKeys() {
        #expect(!Self.page.isEmpty, "man/nameindexd.toml.5 is readable")
        expectEntries(Self.section("The [daemon] table"), ConfigurationLoader.daemonKeys, "The [daemon] table")
    }

    @Test func eachGroupsSectionListsItsKeys() {
        for group in Self.groups { expectEntries(Self.section(group.title), group.keys, group.title) }
    }

    @Test func noSectionDocumentsKeysTheCodeDoesNotHave() {
        let known = Set(Self.groups.map(\.title) + ["The [daemon] table"])
        for section in Self.sections where !section.entries.isEmpty {
            #expect(known.contains(section.title), "the section '\(section.title)' lists keys no kind accepts")
        }
    }

    @Test func eachKindsSectionPointsToItsSharedGroups() {
        for kind in SourceKinds.all {
            let own = SourceKeyGroup.own(kind.name, []).title
            guard let section = Self.section(own) else {
                Issue.record("no section '\(own)'")
                continue
            }
            let shared = Set(kind.keyGroups.map(\.title)).subtracting([own])
            let pointed = Set(section.lines.filter { $0.hasPrefix(".Sx ") }.map { String($0.dropFirst(4)) })
                .intersection(Self.groups.map(\.title))
            #expect(pointed == shared, "'\(own)' points to the sections of the keys it has")
        }
    }

    @Test func everyEntryGivesTypeDefaultAndExample() {
        var checked = 0
        for section in Self.sections {
            for (key, text) in section.entries {
                let typed = ConfigurationKeyTypes.all.contains { text.hasPrefix($0) }
                #expect(typed, "\(key): the entry starts with its type")
                let defaulted = text.lowercased().contains("default") || text.contains("required")
                #expect(defaulted, "\(key): the entry gives its default or says it is required")
                #expect(text.contains(".Dl "), "\(key): the entry has an example")
                checked += 1
            }
        }
        #expect(checked >= ConfigurationLoader.daemonKeys.count + Self.groups.map(\.keys.count).reduce(0, +))
    }

    enum ConfigurationKeyTypes {
        static let all = ["String", "Integer", "Boolean", "Time span", "Absolute path", "Array of strings"]
    }
}
