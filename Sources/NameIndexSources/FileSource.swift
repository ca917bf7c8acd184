#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix
import NameIndexCore

/// Rows from a TSV, CSV or NDJSON file on the local disk (`kind = "file"`).
///
/// The file is read in fixed-size chunks and parsed as it is read, so memory
/// stays bounded by the chunk and batch sizes whatever the file's size.
///
/// With `partitions = N`, each file is cut into N byte ranges of about equal
/// size, moved to line starts, and the ranges are parsed at once: a line
/// belongs to the range its first byte is in. The files and their sizes are
/// settled once, before the ranges are read. Every range parses the header
/// line first when there is one. CSV is not cut, since a quoted field may
/// hold a line break (the configuration refuses it).
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

    public func prepare(partitions: Int) async throws -> any PartitionFetcher {
        let files = try isGlob ? Self.expand(path) : [path]
        guard partitions > 1 else { return Prepared(source: self, files: files.map { ($0, nil) }) }
        return Prepared(source: self, files: try files.map { ($0, try Self.size(of: $0)) })
    }

    /// One fetch: the files, and their sizes when they are cut into ranges.
    struct Prepared: PartitionFetcher {
        let source: FileSource
        let files: [(path: String, size: Int?)]

        func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
            for (file, size) in files {
                if let size, partition.count > 1 {
                    let from = size * partition.index / partition.count
                    let to = size * (partition.index + 1) / partition.count
                    try await source.readFile(file, range: from..<to, deliver: deliver)
                } else {
                    try await source.readFile(file, range: nil, deliver: deliver)
                }
            }
        }
    }

    /// Every matched file's inode, size and modification time: a change in any means new data.
    public func changeToken() async throws -> String? {
        let files = try isGlob ? Self.expand(path) : [path]
        return try files.map { file in
            var info = stat()
            guard stat(file, &info) == 0 else { throw Self.openError(file, errno) }
            return "\(file):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }.joined(separator: ";")
    }

    private static func size(of file: String) throws -> Int {
        var info = stat()
        guard stat(file, &info) == 0 else { throw Self.openError(file, errno) }
        return Int(info.st_size)
    }

    private static func openError(_ file: String, _ code: Int32) -> SourceError {
        SourceError(
            code: code == ENOENT ? .notFound : code == EACCES ? .permissionDenied : .io,
            message: "Failed to open '\(file)': \(String(cString: strerror(code)))")
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

    /// Reads `file`, or the lines that start in `range` of it (after its header line, if any).
    private func readFile(_ file: String, range: Range<Int>?, deliver: (RowBatch) async throws -> Void) async throws {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw Self.openError(file, errno) }
        defer { close(fd) }
        var rows = RowStream(format: options.rows, batchRows: batchRows, label: "'\(file)'", input: file)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        /// Feeds bytes [from, to) (to EOF when nil) to the parser.
        func feed(_ from: Int, _ to: Int?) async throws {
            var offset = from
            while to.map({ offset < $0 }) ?? true {
                try Task.checkCancellation()
                let want = to.map { min(chunkSize, $0 - offset) } ?? chunkSize
                // On the blocking pool: a read from a slow disk or a network file system must
                // not hold a thread of the cooperative pool, which serves the sockets.
                let target = ReadTarget(buffer: buffer)
                let at = off_t(offset)
                let (got, code) = try await NIOThreadPool.singleton.runIfActive {
                    let got = pread(fd, target.buffer.baseAddress, want, at)
                    return (got, got < 0 ? errno : 0)
                }
                if got < 0 {
                    if code == EINTR { continue }
                    throw SourceError(code: .io, message: "Failed to read '\(file)': \(String(cString: strerror(code)))")
                }
                if got == 0 { break }
                offset += got
                if let full = try rows.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<got])) { try await deliver(full) }
            }
        }
        guard let range else {
            try await feed(0, nil)
            try await rows.finish(deliver: deliver)
            return
        }
        var start = try lineStart(fd, file, at: range.lowerBound)
        let end = try lineStart(fd, file, at: range.upperBound)
        if options.rows.format != .ndjson && options.rows.header {
            let headerEnd = try lineStart(fd, file, at: 1)
            if range.lowerBound > 0 { try await feed(0, headerEnd) }
            start = max(start, range.lowerBound > 0 ? headerEnd : 0)
        }
        if start < end { try await feed(start, end) }
        try await rows.finish(deliver: deliver)
    }

    /// Where the first line that starts at or after `offset` starts: `offset` itself when a line
    /// starts there, else just past the next line feed, else the end of the file.
    private func lineStart(_ fd: Int32, _ file: String, at offset: Int) throws -> Int {
        if offset == 0 { return 0 }
        var position = offset - 1
        var probe = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = probe.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(position)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw SourceError(code: .io, message: "Failed to read '\(file)': \(String(cString: strerror(errno)))")
            }
            if got == 0 { return position }
            if let newline = probe[0..<got].firstIndex(of: UInt8(ascii: "\n")) { return position + newline + 1 }
            position += got
        }
    }
}

/// The read buffer, handed to the blocking pool for one `pread` while the fetch awaits it.
private struct ReadTarget: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
}
