import NameIndexSources

/// `kind = "command"`: a program whose standard output is read as rows (the bridge to beeline,
/// Trino, Spark SQL and any engine with a command-line client).
public struct CommandKind: SourceKind {
    public static let name = "command"
    public static let keyGroups = [
        RowFormat.group,
        .own(name, [
            .init("command", .arrayOfStrings, required: true), .init("check_command", .arrayOfStrings),
            .init("drop_prefix", .string), .init("delta_command", .arrayOfStrings), .init("watermark_command", .arrayOfStrings),
        ]),
    ]

    /// `command`: the program and its arguments, run without a shell.
    public var arguments: [String]
    public var rows: RowFormat
    /// Where it runs: the directory of the configuration file that defines it,
    /// so relative paths in its arguments mean what they mean for `file` sources.
    public var workingDirectory: String
    /// `check_command`: its output changes when the data does; nil: no change check.
    public var checkCommand: [String]?
    /// `drop_prefix`: a regular expression for the text before the data (a prompt); nil: none.
    public var dropPrefix: String?
    /// `delta_command` and `watermark_command`: both or neither.
    public var deltaCommand: [String]?
    public var watermarkCommand: [String]?

    public init(
        arguments: [String], rows: RowFormat = RowFormat(), workingDirectory: String, checkCommand: [String]? = nil,
        dropPrefix: String? = nil
    ) {
        self.dropPrefix = dropPrefix
        self.arguments = arguments
        self.rows = rows
        self.workingDirectory = workingDirectory
        self.checkCommand = checkCommand
    }

    public init(reading table: SourceTable) throws {
        let keys = table.keys
        guard keys.value("command") != nil else {
            throw keys.error(.missingKey, "command", "missing required key (an array of strings: the program and its arguments)")
        }
        arguments = try keys.program(
            "command", expected: "a non-empty array of strings, such as [\"beeline\", \"-e\", \"SELECT id, name FROM t\"]")!
        if table.partitions > 1, !arguments.contains(where: { $0.contains("{partition}") }) {
            throw keys.error(
                .invalidValue, "partitions",
                "partitions = \(table.partitions) needs {partition} in the command, or every partition would fetch every row")
        }
        rows = try RowFormat(reading: table)
        workingDirectory = table.directory.standardizedFileURL.path
        checkCommand = try keys.program("check_command", expected: "a non-empty array of strings: a program and its arguments")
        dropPrefix = try keys.nonEmptyString("drop_prefix")
        if let dropPrefix {
            do {
                _ = try Regex(dropPrefix)
            } catch {
                throw keys.error(.invalidValue, "drop_prefix", "not a regular expression: \(error)")
            }
        }
        if checkCommand != nil, table.checkInterval == nil {
            throw keys.error(.missingKey, "check_interval", "a change check needs check_interval (how often to check)")
        }
        if checkCommand == nil, table.checkInterval != nil {
            throw keys.error(
                .missingKey, "check_command", "check_interval needs check_command: the program whose output changes with the data")
        }
        deltaCommand = try keys.program("delta_command", expected: "a non-empty array of strings: a program and its arguments")
        watermarkCommand = try keys.program("watermark_command", expected: "a non-empty array of strings: a program and its arguments")
        switch (deltaCommand, watermarkCommand) {
        case (let delta?, _?):
            guard delta.contains(where: { $0.contains("{watermark}") }) else {
                throw keys.error(
                    .invalidValue, "delta_command",
                    "the delta command has no {watermark} in its arguments: without it every delta would return every row")
            }
        case (_?, nil):
            throw keys.error(
                .missingKey, "watermark_command", "delta_command needs watermark_command: where the deltas start after a full load")
        case (nil, _?):
            throw keys.error(.missingKey, "delta_command", "watermark_command needs delta_command: the rows changed since {watermark}")
        case (nil, nil):
            break
        }
    }

    public var hasDelta: Bool { deltaCommand != nil }

    public var renderedLines: [String] {
        var lines = ["command = \(TOMLText.array(arguments))"] + rows.renderedLines
        if let checkCommand { lines.append("check_command = \(TOMLText.array(checkCommand))") }
        lines.append(dropPrefix.map { "drop_prefix = \(TOMLText.string($0))" } ?? "# drop_prefix: none")
        if let deltaCommand, let watermarkCommand {
            lines.append("delta_command = \(TOMLText.array(deltaCommand))")
            lines.append("watermark_command = \(TOMLText.array(watermarkCommand))")
        }
        return lines
    }

    public var fingerprintText: String {
        "command\0" + arguments.joined(separator: "\0") + "\0cwd\0\(workingDirectory)\0" + rows.fingerprintText
            + "dropPrefix\0\(dropPrefix.map { "=" + $0 } ?? "none")\0"
            + (deltaCommand.map { "delta\0" + $0.joined(separator: "\0") + "\0watermark\0" + (watermarkCommand ?? []).joined(separator: "\0") + "\0" } ?? "")
    }

    public func makeSource(name: String, namespace: String) -> any Source {
        var made = CommandSource(
            name: name, namespace: namespace, arguments: arguments, rows: rows, workingDirectory: workingDirectory)
        made.checkCommand = checkCommand
        made.dropPrefix = dropPrefix
        made.deltaCommand = deltaCommand
        made.watermarkCommand = watermarkCommand
        return made
    }
}
