import Foundation

/// Where a secret comes from; the configuration never holds the secret itself.
public enum Secret: Sendable, Equatable {
    /// `password_file`: an absolute path.
    case file(String)
    /// `password_credential`: a systemd credential's name, read from `$CREDENTIALS_DIRECTORY/<name>`.
    case credential(String)

    /// Reads the secret now: a fetch calls this each time, so a rotated secret is picked up
    /// without a restart. A trailing line break is dropped.
    public func read() throws -> String {
        let path: String
        switch self {
        case .file(let file):
            path = file
        case .credential(let name):
            guard let directory = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw ReadError(
                    message: "password_credential '\(name)': $CREDENTIALS_DIRECTORY is not set (give the credential with LoadCredential= or SetCredential= in the unit)")
            }
            path = directory + "/" + name
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReadError(message: "cannot open the password file '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let data = try handle.readToEnd() ?? Data()
        guard var text = String(data: data, encoding: .utf8) else {
            throw ReadError(message: "the password file '\(path)' is not UTF-8")
        }
        while let last = text.last, last.isNewline { text.removeLast() }
        return text
    }

    struct ReadError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
