import Foundation
import NameIndexSources
import TOMLKit

/// Typed, strict access to the keys of one TOML table, with errors that say where.
struct TableReader {
    let table: TOMLTable
    let file: String
    /// The table's key path, e.g. `daemon` or `source[2]`; nil for the top level.
    let path: String?

    func keyPath(_ key: String) -> String { path.map { "\($0).\(key)" } ?? key }

    func error(_ code: ConfigurationError.Code, _ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(code: code, file: file, key: keyPath(key), message: message)
    }

    func rejectUnknown(allowed: Set<String>, kind: String? = nil) throws {
        for key in table.keys.sorted() where !allowed.contains(key) {
            let context = kind.map { " for kind '\($0)'" } ?? ""
            let known = allowed.sorted().joined(separator: ", ")
            throw error(.unknownKey, key, "unknown key\(context) (known keys: \(known))")
        }
    }

    func value(_ key: String) -> TOMLValueConvertible? { table[key] }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.string else { throw typeError(key, expected: "a string", got: value) }
        return string
    }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else { throw error(.missingKey, key, "missing required key (a string)") }
        return value
    }

    /// A duration in systemd's notation (`30s`, `10min`, `1min 30s`).
    func timeSpan(_ key: String, allowZero: Bool = false) throws -> Duration? {
        guard let text = try string(key) else { return nil }
        guard let duration = TimeSpan.parse(text), allowZero || duration > .zero else {
            throw error(.invalidValue, key, "expected a time span such as \"30s\", \"10min\" or \"1min 30s\", got '\(text)'")
        }
        return duration
    }

    /// A whole number within `range` (`Int.max` as the upper bound: no upper bound); the error names the range.
    func wholeNumber(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard let n = value.int, range.contains(n) else {
            let upper = range.upperBound == .max ? "" : " to \(range.upperBound)"
            throw error(.invalidValue, key, "expected a whole number from \(range.lowerBound)\(upper)")
        }
        return n
    }

    /// A program and its arguments: a non-empty array of strings whose first is not empty.
    func program(_ key: String, expected: String) throws -> [String]? {
        guard let value = value(key) else { return nil }
        guard let array = value.array, array.count > 0 else { throw error(.invalidValue, key, "expected \(expected)") }
        var arguments: [String] = []
        for i in 0..<array.count {
            guard let argument = array[i].string else {
                throw error(.invalidValue, key, "expected strings only; element \(i + 1) is \(Self.describe(array[i].type))")
            }
            arguments.append(argument)
        }
        guard !arguments[0].isEmpty else { throw error(.invalidValue, key, "the program (element 1) is empty") }
        return arguments
    }

    func nonEmptyString(_ key: String) throws -> String? {
        guard let value = try string(key) else { return nil }
        guard !value.isEmpty else { throw error(.invalidValue, key, "expected a non-empty string, got ''") }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.bool else { throw typeError(key, expected: "a boolean (true or false)", got: value) }
        return bool
    }

    func absolutePath(_ key: String) throws -> String? {
        guard let value = try string(key) else { return nil }
        guard value.hasPrefix("/") else { throw error(.invalidValue, key, "expected an absolute path, got '\(value)'") }
        return URL(fileURLWithPath: value).standardizedFileURL.path
    }

    /// A column: a 1-based number, or a name from the header line (which needs `header = true`).
    func column(_ key: String, header: Bool) throws -> DelimitedParser.Column? {
        guard let value = value(key) else { return nil }
        if let number = value.int {
            guard number >= 1 else { throw error(.invalidValue, key, "expected a column number from 1, got \(number)") }
            return .number(number)
        }
        if let name = value.string {
            guard !name.isEmpty else { throw error(.invalidValue, key, "expected a column name, got ''") }
            guard header else { throw error(.invalidValue, key, "a column given by name ('\(name)') needs header = true") }
            return .name(name)
        }
        throw typeError(key, expected: "a column number or a header name", got: value)
    }

    func table(_ key: String) throws -> TOMLTable? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else { throw typeError(key, expected: "a table ([\(key)])", got: value) }
        return table
    }

    func tables(_ key: String) throws -> [TOMLTable] {
        guard let value = value(key) else { return [] }
        guard let array = value.array else { throw typeError(key, expected: "an array of tables ([[\(key)]])", got: value) }
        var result: [TOMLTable] = []
        for index in 0..<array.count {
            guard let table = array[index].table else {
                throw error(.invalidValue, "\(key)[\(index + 1)]", "expected a table ([[\(key)]])")
            }
            result.append(table)
        }
        return result
    }

    func check(_ key: String, _ value: String, isValid: (String) -> Bool, expected: String) throws {
        guard isValid(value) else { throw error(.invalidValue, key, "expected \(expected), got '\(value)'") }
    }

    private func typeError(_ key: String, expected: String, got value: TOMLValueConvertible) -> ConfigurationError {
        error(.invalidValue, key, "expected \(expected), got \(Self.describe(value.type))")
    }

    static func describe(_ type: TOMLType) -> String {
        switch type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a float"
        case .bool: "a boolean"
        case .table: "a table"
        case .array: "an array"
        case .date: "a date"
        case .time: "a time"
        case .dateTime: "a date-time"
        @unknown default: "a value of another type"
        }
    }
}
