import NameIndexSources

/// Makes the ``Source`` that fetches each configured source.
enum SourceFactory {
    static func makeSource(_ source: Configuration.Source) -> any Source {
        switch source.settings {
        case .command(let command):
            CommandSource(
                name: source.name, namespace: source.namespace, arguments: command.arguments, rows: command.rows,
                workingDirectory: command.workingDirectory)
        case .sqlite(let sqlite):
            SQLiteSource(name: source.name, namespace: source.namespace, path: sqlite.path, query: sqlite.query)
        case .file(let file):
            FileSource(name: source.name, namespace: source.namespace, options: file)
        }
    }
}
