import NameIndexCore

/// The formats a `file` source reads.
public enum FileFormat: String, Sendable, CaseIterable {
    case tsv, csv, ndjson
}

/// How rows are written: the format and where the key and name are in each row.
/// Shared by the sources that read text (`file`, `command`).
public struct RowFormat: Sendable, Equatable {
    /// `format`: `tsv` (default), `csv` or `ndjson`.
    public var format: FileFormat
    /// TSV, CSV: whether the first line is a header (`header`, default false).
    public var header: Bool
    /// TSV, CSV: `key_column`, a 1-based number or header name (default 1).
    public var keyColumn: DelimitedParser.Column
    /// TSV, CSV: `name_column` (default 2).
    public var nameColumn: DelimitedParser.Column
    /// NDJSON: `key_field` (default `id`).
    public var keyField: String
    /// NDJSON: `name_field` (default `name`).
    public var nameField: String
    /// `max_line_bytes`: a longer line (CSV: record) is skipped as too long (default 1 MiB).
    public var maximumLineBytes: Int
    /// TSV, CSV: `null_value`, the text of a field that means NULL (CSV: unquoted); nil: none.
    public var nullValue: String?

    /// The default of `max_line_bytes`: 1 MiB.
    public static let defaultMaximumLineBytes = LineSplitter.defaultMaximumLineBytes

    /// The range `max_line_bytes` takes: 1 KiB to 1 GiB.
    public static let maximumLineBytesRange = 1024...(1 << 30)

    public init(
        format: FileFormat = .tsv, header: Bool = false,
        keyColumn: DelimitedParser.Column = .number(1), nameColumn: DelimitedParser.Column = .number(2),
        keyField: String = "id", nameField: String = "name", maximumLineBytes: Int = RowFormat.defaultMaximumLineBytes,
        nullValue: String? = nil
    ) {
        self.nullValue = nullValue
        self.maximumLineBytes = maximumLineBytes
        self.format = format
        self.header = header
        self.keyColumn = keyColumn
        self.nameColumn = nameColumn
        self.keyField = keyField
        self.nameField = nameField
    }

    /// A parser for one stream of rows in this format; with `delta`, of a delta's rows (key,
    /// name, deleted flag, watermark).
    func makeParser(delta: Bool = false) -> FileParser {
        switch format {
        case .tsv, .csv:
            .delimited(
                DelimitedParser(
                    format: format == .tsv ? .tsv : .csv, header: header, keyColumn: keyColumn, nameColumn: nameColumn,
                    maximumLineBytes: maximumLineBytes, nullValue: nullValue, delta: delta))
        case .ndjson:
            .ndjson(NDJSONParser(keyField: keyField, nameField: nameField, maximumLineBytes: maximumLineBytes, delta: delta))
        }
    }
}

/// What a `file` source reads: a path (or glob) and the rows' format.
public struct FileOptions: Sendable, Equatable {
    /// The file, or a glob; already resolved to an absolute path.
    public var path: String
    public var rows: RowFormat

    public init(path: String, rows: RowFormat) {
        self.path = path
        self.rows = rows
    }

    public init(
        path: String, format: FileFormat = .tsv, header: Bool = false,
        keyColumn: DelimitedParser.Column = .number(1), nameColumn: DelimitedParser.Column = .number(2),
        keyField: String = "id", nameField: String = "name"
    ) {
        self.init(
            path: path,
            rows: RowFormat(
                format: format, header: header, keyColumn: keyColumn, nameColumn: nameColumn, keyField: keyField,
                nameField: nameField))
    }

    public var format: FileFormat { rows.format }
    public var header: Bool { rows.header }
    public var keyColumn: DelimitedParser.Column { rows.keyColumn }
    public var nameColumn: DelimitedParser.Column { rows.nameColumn }
    public var keyField: String { rows.keyField }
    public var nameField: String { rows.nameField }
}

/// The parser for one file: a ``DelimitedParser`` or an ``NDJSONParser``.
enum FileParser {
    case delimited(DelimitedParser)
    case ndjson(NDJSONParser)

    mutating func feed(_ chunk: UnsafeRawBufferPointer, into batch: inout RowBatch) throws {
        switch self {
        case .delimited(var parser):
            defer { self = .delimited(parser) }
            try parser.feed(chunk, into: &batch)
        case .ndjson(var parser):
            parser.feed(chunk, into: &batch)
            self = .ndjson(parser)
        }
    }

    mutating func finish(into batch: inout RowBatch) throws {
        switch self {
        case .delimited(var parser):
            defer { self = .delimited(parser) }
            try parser.finish(into: &batch)
        case .ndjson(var parser):
            parser.finish(into: &batch)
            self = .ndjson(parser)
        }
    }
}
