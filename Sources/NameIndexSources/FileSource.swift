#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NameIndexCore

/// Rows from a TSV, CSV or NDJSON file on the local disk (`kind = "file"`).
///
/// The file is read in fixed-size chunks and parsed as it is read, so memory
/// stays bounded by the chunk and batch sizes whatever the file's size.
public struct FileSource: Source {
    public let name: String
    public let namespace: String
    public var kind: String { "file" }
    public let options: FileOptions
    /// Bytes read per `read(2)` call.
    public var chunkSize = 1 << 20
    /// Rows handed over per batch.
    public var batchRows = 8192

    public init(name: String, namespace: String, options: FileOptions) {
        self.name = name
        self.namespace = namespace
        self.options = options
    }

    /// A source of one file (or glob) with `options`' defaults except where given; for tests and tools.
    public init(name: String, namespace: String, path: String, format: FileFormat = .tsv, header: Bool = false,
                keyColumn: DelimitedParser.Column = .number(1), nameColumn: DelimitedParser.Column = .number(2)) {
        self.init(
            name: name, namespace: namespace,
            options: FileOptions(path: path, format: format, header: header, keyColumn: keyColumn, nameColumn: nameColumn))
    }

    /// The file's path (or glob), resolved.
    public var path: String { options.path }

    /// Whether `path` is a glob pattern rather than one file.
    public var isGlob: Bool { path.contains(where: { "*?[".contains($0) }) }

    public func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
        precondition(partition == .whole, "file sources are not partitioned yet")
        let files = try isGlob ? Self.expand(path) : [path]
        for file in files {
            try await readFile(file, deliver: deliver)
        }
    }

    /// The files matching `pattern`, sorted by name.
    ///
    /// - Throws: ``SourceError`` with `notFound` when nothing matches: a source
    ///   that suddenly has no files is an error, not an empty table.
    static func expand(_ pattern: String) throws -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        let status = glob(pattern, 0, nil, &result)
        if status == GLOB_NOMATCH {
            throw SourceError(code: .notFound, message: "No file matches '\(pattern)'")
        }
        guard status == 0 else {
            throw SourceError(code: .io, message: "Failed to list the files matching '\(pattern)' (glob error \(status))")
        }
        var files: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[i] { files.append(String(cString: path)) }
        }
        return files.sorted()
    }

    private func readFile(_ file: String, deliver: (RowBatch) async throws -> Void) async throws {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            throw SourceError(
                code: code == ENOENT ? .notFound : code == EACCES ? .permissionDenied : .io,
                message: "Failed to open '\(file)': \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var rows = RowStream(format: options.rows, batchRows: batchRows, label: "'\(file)'")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            try Task.checkCancellation()
            let got = read(fd, buffer.baseAddress, chunkSize)
            if got < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SourceError(code: .io, message: "Failed to read '\(file)': \(String(cString: strerror(code)))")
            }
            if got == 0 { break }
            if let full = try rows.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<got])) { try await deliver(full) }
        }
        try await rows.finish(deliver: deliver)
    }
}
