import Foundation
import NameIndexSources

/// Makes the ``Source`` that fetches each configured source.
enum SourceFactory {
    /// Reads a secret when a fetch needs it, so a rotated one is picked up without a restart.
    static func secretReader(_ secret: Configuration.Secret) -> @Sendable () throws -> String {
        {
            let path: String
            switch secret {
            case .file(let file):
                path = file
            case .credential(let name):
                guard let directory = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                    throw SecretError(
                        message: "password_credential '\(name)': $CREDENTIALS_DIRECTORY is not set (give the credential with LoadCredential= or SetCredential= in the unit)")
                }
                path = directory + "/" + name
            }
            let data: Data
            do {
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    throw SecretError(message: "cannot open the password file '\(path)': \(String(cString: strerror(errno)))")
                }
                defer { try? handle.close() }
                data = try handle.readToEnd() ?? Data()
            }
            guard var text = String(data: data, encoding: .utf8) else {
                throw SecretError(message: "the password file '\(path)' is not UTF-8")
            }
            while let last = text.last, last.isNewline { text.removeLast() }
            return text
        }
    }

    struct SecretError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    static func makeSource(_ source: Configuration.Source) -> any Source {
        switch source.settings {
        case .command(let command):
            var made = CommandSource(
                name: source.name, namespace: source.namespace, arguments: command.arguments, rows: command.rows,
                workingDirectory: command.workingDirectory)
            made.checkCommand = source.check?.command
            return made
        case .sqlite(let sqlite):
            return SQLiteSource(
                name: source.name, namespace: source.namespace, path: sqlite.path, query: sqlite.query, filter: sqlite.filter,
                checkQuery: source.check?.query)
        case .postgresql(let postgresql):
            var made = PostgresSource(
                name: source.name, namespace: source.namespace, location: postgresql.location, query: postgresql.query,
                filter: postgresql.filter, password: postgresql.password.map(secretReader))
            made.checkQuery = source.check?.query
            return made
        case .file(let file):
            return FileSource(name: source.name, namespace: source.namespace, options: file)
        }
    }
}
