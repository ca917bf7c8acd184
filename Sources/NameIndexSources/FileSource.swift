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
    /// The file's path, already resolved against the configuration's directory.
    public let path: String
    public let format: FileFormat
    /// Whether the first line is a header.
    public let header: Bool
    public let keyColumn: DelimitedParser.Column
    public let nameColumn: DelimitedParser.Column
    /// NDJSON members holding the key and the name.
    public let keyField: String
    public let nameField: String
    /// Bytes read per `read(2)` call.
    public var chunkSize = 1 << 20
    /// Rows handed over per batch.
    public var batchRows = 8192

    public init(
        name: String, namespace: String, path: String, format: FileFormat = .tsv, header: Bool,
        keyColumn: DelimitedParser.Column = .number(1), nameColumn: DelimitedParser.Column = .number(2),
        keyField: String = "id", nameField: String = "name"
    ) {
        self.name = name
        self.namespace = namespace
        self.path = path
        self.format = format
        self.header = header
        self.keyColumn = keyColumn
        self.nameColumn = nameColumn
        self.keyField = keyField
        self.nameField = nameField
    }

    public func fetch(_ partition: Partition, deliver: (RowBatch) async throws -> Void) async throws {
        precondition(partition == .whole, "file sources are not partitioned yet")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            throw SourceError(
                code: code == ENOENT ? .notFound : code == EACCES ? .permissionDenied : .io,
                message: "Failed to open '\(path)': \(String(cString: strerror(code)))")
        }
        defer { close(fd) }

        var parser: FileParser =
            switch format {
            case .tsv: .delimited(DelimitedParser(format: .tsv, header: header, keyColumn: keyColumn, nameColumn: nameColumn))
            case .csv: .delimited(DelimitedParser(format: .csv, header: header, keyColumn: keyColumn, nameColumn: nameColumn))
            case .ndjson: .ndjson(NDJSONParser(keyField: keyField, nameField: nameField))
            }
        var batch = RowBatch(reservingBytes: chunkSize, rows: batchRows)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            try Task.checkCancellation()
            let got = read(fd, buffer.baseAddress, chunkSize)
            if got < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SourceError(code: .io, message: "Failed to read '\(path)': \(String(cString: strerror(code)))")
            }
            if got == 0 { break }
            do {
                try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<got]), into: &batch)
            } catch let error as DelimitedParser.HeaderError {
                throw SourceError(code: .invalidConfiguration, message: "'\(path)': \(error)", underlying: error)
            }
            if batch.count >= batchRows {
                try await deliver(batch)
                batch = RowBatch(reservingBytes: chunkSize, rows: batchRows)
            }
        }
        try parser.finish(into: &batch)
        if !batch.isEmpty { try await deliver(batch) }
    }
}
