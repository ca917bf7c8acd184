import Foundation

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
