import Foundation
import NameIndexSources

/// One kind of source (`kind = "…"`), written in one file: the keys it accepts with their
/// types, how it reads and checks them, how `--check-config` shows them, what of them goes into
/// the snapshot fingerprint, and the ``Source`` that fetches it.
///
/// The loader, the renderer, the fingerprint and the reload side loop over ``SourceKinds/all``,
/// so adding a kind is writing one type and adding it to that list (docs/ARCHITECTURE.md shows
/// it with the `sqlite` kind).
public protocol SourceKind: Sendable, Equatable {
    /// The value of `kind`.
    static var name: String { get }
    /// The keys it accepts besides ``SourceKeyGroup/common``: shared groups, then its own.
    static var keyGroups: [SourceKeyGroup] { get }
    /// Reads and checks its keys from one `[[source]]` table.
    init(reading table: SourceTable) throws
    /// Its keys with their effective values, as TOML lines, for `--check-config`.
    var renderedLines: [String] { get }
    /// Everything of it that decides which rows the source returns; a snapshot written under
    /// another fingerprint is not served.
    var fingerprintText: String { get }
    /// The source that fetches it.
    func makeSource(name: String, namespace: String) -> any Source
}

/// The registered kinds: the one list a new kind is added to.
public enum SourceKinds {
    public static let all: [any SourceKind.Type] = [FileKind.self, PostgreSQLKind.self, SQLiteKind.self, CommandKind.self]

    public static func named(_ name: String) -> (any SourceKind.Type)? { all.first { $0.name == name } }

    /// Every key a source of `kind` accepts.
    public static func keys(of kind: any SourceKind.Type) -> Set<String> {
        Set(([SourceKeyGroup.common] + kind.keyGroups).flatMap { $0.keys.map(\.name) })
    }
}

/// A configuration key: its name, the type its manual entry opens with, and whether it is required.
public struct ConfigurationKey: Sendable, Hashable {
    public enum ValueType: String, Sendable {
        case string = "String"
        case integer = "Integer"
        case boolean = "Boolean"
        case timeSpan = "Time span"
        case absolutePath = "Absolute path"
        case arrayOfStrings = "Array of strings"
    }

    public var name: String
    public var type: ValueType
    public var required: Bool

    public init(_ name: String, _ type: ValueType, required: Bool = false) {
        self.name = name
        self.type = type
        self.required = required
    }
}

/// Keys documented together: one `.Ss` section of nameindexd.toml(5), titled ``title``.
public struct SourceKeyGroup: Sendable, Hashable {
    public var title: String
    public var keys: [ConfigurationKey]

    public init(title: String, keys: [ConfigurationKey]) {
        self.title = title
        self.keys = keys
    }

    /// The keys of every source, whatever its kind.
    public static let common = SourceKeyGroup(title: "Keys of every source", keys: [
        .init("name", .string, required: true), .init("namespace", .string, required: true),
        .init("kind", .string, required: true), .init("min_rows", .integer), .init("max_shrink", .string),
        .init("on_failure", .string), .init("timeout", .timeSpan), .init("stall_timeout", .timeSpan),
        .init("retries", .integer), .init("retry_delay", .timeSpan), .init("reload_interval", .timeSpan),
        .init("reload_jitter", .timeSpan), .init("check_interval", .timeSpan), .init("partitions", .integer),
        .init("parallelism", .integer),
    ])

    /// A kind's own keys: the section `kind = "<name>"`.
    public static func own(_ kind: String, _ keys: [ConfigurationKey]) -> SourceKeyGroup {
        SourceKeyGroup(title: "kind = \"\(kind)\"", keys: keys)
    }
}

/// One `[[source]]` table as a kind reads it: its keys, the directory relative paths are
/// resolved against, and the common keys the kind's checks depend on.
public struct SourceTable {
    let keys: TableReader
    /// The directory of the file that defines the source.
    let directory: URL
    /// `partitions`, already read.
    let partitions: Int
    /// `check_interval`, already read; nil: no change check.
    let checkInterval: Duration?

    /// `path`, non-empty, resolved against ``directory``.
    func resolvedPath(_ key: String) throws -> String {
        let relative = try keys.requiredString(key)
        guard !relative.isEmpty else { throw keys.error(.invalidValue, key, "expected a file path, got ''") }
        return URL(fileURLWithPath: relative, relativeTo: directory).standardizedFileURL.path
    }
}

/// A source's kind settings, compared by value whatever their kind.
public struct SourceSettings: Sendable, Equatable {
    public let value: any SourceKind

    public init(_ value: any SourceKind) { self.value = value }

    /// The value of `kind`.
    public var kind: String { type(of: value).name }

    public static func == (a: SourceSettings, b: SourceSettings) -> Bool {
        func equal<K: SourceKind>(_ a: K) -> Bool { (b.value as? K) == a }
        return equal(a.value)
    }
}

/// TOML text of a value, for `--check-config`.
enum TOMLText {
    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func array(_ values: [String]) -> String { "[" + values.map(string).joined(separator: ", ") + "]" }

    static func timeSpan(_ value: Duration) -> String { string(TimeSpan.format(value)) }
}
