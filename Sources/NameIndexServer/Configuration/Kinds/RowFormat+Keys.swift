import NameIndexSources

/// The row format keys of the kinds that read text (`file`, `command`).
extension RowFormat {
    static let group = SourceKeyGroup(title: "Row format keys", keys: [
        .init("format", .string), .init("header", .boolean), .init("key_column", .integer),
        .init("name_column", .integer), .init("key_field", .string), .init("name_field", .string),
        .init("max_line_bytes", .integer), .init("null_value", .string),
    ])

    init(reading table: SourceTable) throws {
        let keys = table.keys
        let header = try keys.bool("header") ?? false
        var format = FileFormat.tsv
        if let text = try keys.string("format") {
            guard let known = FileFormat(rawValue: text) else {
                throw keys.error(.invalidValue, "format", "expected one of 'tsv', 'csv', 'ndjson', got '\(text)'")
            }
            format = known
        }
        // Columns belong to TSV and CSV, fields to NDJSON: a key of the other kind is a mistake.
        for key in format == .ndjson ? ["key_column", "name_column", "header", "null_value"] : ["key_field", "name_field"]
        where keys.value(key) != nil {
            throw keys.error(
                .unknownKey, key,
                "not a key of format '\(format.rawValue)'" + (key == "null_value" ? " (JSON has null of its own)" : ""))
        }
        let nullValue = try keys.string("null_value")
        if let nullValue, nullValue.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == (format == .csv ? 0x2C : 0x09) }) {
            throw keys.error(
                .invalidValue, "null_value", "holds a line break or the \(format == .csv ? "comma" : "tab"), so no field could equal it")
        }
        self.init(
            format: format, header: header,
            keyColumn: try keys.column("key_column", header: header) ?? .number(1),
            nameColumn: try keys.column("name_column", header: header) ?? .number(2),
            keyField: try keys.nonEmptyString("key_field") ?? "id",
            nameField: try keys.nonEmptyString("name_field") ?? "name",
            maximumLineBytes: try keys.wholeNumber("max_line_bytes", in: Self.maximumLineBytesRange)
                ?? Self.defaultMaximumLineBytes,
            nullValue: nullValue)
    }

    var renderedLines: [String] {
        var lines = ["format = \(TOMLText.string(format.rawValue))"]
        if format == .ndjson {
            lines.append("key_field = \(TOMLText.string(keyField))")
            lines.append("name_field = \(TOMLText.string(nameField))")
        } else {
            lines.append("header = \(header)")
            lines.append("key_column = \(Self.rendered(keyColumn))")
            lines.append("name_column = \(Self.rendered(nameColumn))")
            lines.append(nullValue.map { "null_value = \(TOMLText.string($0))" } ?? "# null_value: none")
        }
        lines.append("max_line_bytes = \(maximumLineBytes)")
        return lines
    }

    var fingerprintText: String {
        "format\0\(format.rawValue)\0header\0\(header)\0key\0\(keyColumn)\0name\0\(nameColumn)\0"
            + "keyField\0\(keyField)\0nameField\0\(nameField)\0maxLineBytes\0\(maximumLineBytes)\0"
            + "null\0\(nullValue.map { "=" + $0 } ?? "none")\0"
    }

    private static func rendered(_ column: DelimitedParser.Column) -> String {
        switch column {
        case .number(let n): "\(n)"
        case .name(let name): TOMLText.string(name)
        }
    }
}
