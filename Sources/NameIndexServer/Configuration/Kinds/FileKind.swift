import NameIndexSources

/// `kind = "file"`: a TSV, CSV or NDJSON file, or a glob of them; its change check is the
/// inode, size and modification time of every matched file.
public struct FileKind: SourceKind {
    public static let name = "file"
    public static let keyGroups = [RowFormat.group, .own(name, [.init("path", .string, required: true)])]

    public var options: FileOptions

    public init(_ options: FileOptions) { self.options = options }

    public init(reading table: SourceTable) throws {
        let path = try table.resolvedPath("path")
        let rows = try RowFormat(reading: table)
        if rows.format == .csv && table.partitions > 1 {
            throw table.keys.error(
                .invalidValue, "partitions",
                "a csv file is not cut into byte ranges, since a quoted field may hold a line break; use partitions = 1")
        }
        options = FileOptions(path: path, rows: rows)
    }

    public var renderedLines: [String] { ["path = \(TOMLText.string(options.path))"] + options.rows.renderedLines }

    public var fingerprintText: String { "path\0\(options.path)\0" + options.rows.fingerprintText }

    public func makeSource(name: String, namespace: String) -> any Source {
        FileSource(name: name, namespace: namespace, options: options)
    }
}
