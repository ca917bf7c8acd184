#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an ``Index`` to a snapshot file and maps one back, without copying.
///
/// The file holds each table's bytes exactly as they are in memory, so loading
/// is `mmap` plus verification. docs/snapshot-format.md documents every byte.
/// Writing goes to `PATH.tmp`, is fsynced, renamed over `PATH`, and the
/// directory is fsynced, so at most the current file and the one being
/// written exist and a crash leaves the previous snapshot intact.
public enum SnapshotFile {
    public static let magic: [UInt8] = Array("NMIXSNAP".utf8)
    public static let formatVersion: UInt32 = 2
    static let headerSize = 64
    static let directoryEntrySize = 64
    static let alignment = 64

    /// What a snapshot says about itself.
    public struct Metadata: Sendable, Equatable {
        public var generation: UInt64
        public var createdAtMicroseconds: UInt64
        public var fingerprint: UInt64
        public var fileBytes: Int
    }

    // MARK: Writing

    /// Writes `index` to `path` atomically; returns the file's size.
    ///
    /// - Throws: ``SnapshotError`` with code `writeFailed`; the previous file at `path` is untouched.
    @discardableResult
    public static func write(_ index: Index, fingerprint: UInt64, to path: String) throws -> Int {
        let temporary = path + ".tmp"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw failure(path, "cannot create \(temporary)") }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            let size = try writeContents(index, fingerprint: fingerprint, fd: fd, path: path)
            guard fsync(fd) == 0 else { throw failure(path, "fsync failed") }
            closed = true
            guard close(fd) == 0 else { throw failure(path, "close failed") }
            guard rename(temporary, path) == 0 else { throw failure(path, "cannot rename \(temporary)") }
            syncDirectory(of: path)
            return size
        } catch {
            unlink(temporary)
            throw error
        }
    }

    private static func writeContents(_ index: Index, fingerprint: UInt64, fd: Int32, path: String) throws -> Int {
        // Layout: header, directory, strings, then 64-byte-aligned sections: each source's
        // base, followed by its overlay when it has one.
        var strings: [UInt8] = []
        var entries: [(nameOffset: Int, nameCount: Int, namespaceOffset: Int, namespaceCount: Int, watermarkOffset: Int, watermarkCount: Int)] = []
        for source in index.sources {
            let name = Array(source.source.utf8)
            let namespace = Array(source.namespace.utf8)
            let watermark = Array((source.watermark ?? "").utf8)
            entries.append((strings.count, name.count, strings.count + name.count, namespace.count,
                            strings.count + name.count + namespace.count, watermark.count))
            strings += name + namespace + watermark
        }
        // An overlay of two levels is stored as one (they answer the same).
        let sections: [(source: Int, table: KeyTable, role: UInt32)] = try index.sources.enumerated().flatMap { i, source in
            [(i, source.layer.base, UInt32(0))] + (try source.layer.mergedOverlay().map { [(i, $0, UInt32(1))] } ?? [])
        }
        let stringsStart = headerSize + directoryEntrySize * sections.count
        let dataStart = align(stringsStart + strings.count)
        var sectionOffsets: [Int] = []
        var position = dataStart
        for section in sections {
            sectionOffsets.append(position)
            position = align(position + sectionLength(section.table))
        }
        let fileSize = position

        var head = [UInt8](repeating: 0, count: dataStart)
        try head.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            raw.copyBytes(from: magic)
            base.storeBytes(of: formatVersion.littleEndian, toByteOffset: 8, as: UInt32.self)
            base.storeBytes(of: UInt32(sections.count).littleEndian, toByteOffset: 12, as: UInt32.self)
            for (offset, value) in [
                (16, index.generation), (24, index.createdAtMicroseconds), (32, fingerprint), (40, UInt64(fileSize)),
                (48, UInt64(dataStart)),
            ] {
                base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
            }
            for (i, section) in sections.enumerated() {
                let entry = base + headerSize + i * directoryEntrySize
                let table = section.table
                let source = index.sources[section.source]
                entry.storeBytes(of: UInt64(sectionOffsets[i]).littleEndian, as: UInt64.self)
                entry.storeBytes(of: UInt64(sectionLength(table)).littleEndian, toByteOffset: 8, as: UInt64.self)
                entry.storeBytes(of: sectionChecksum(table).littleEndian, toByteOffset: 16, as: UInt64.self)
                let e = entries[section.source]
                for (offset, value) in [
                    (24, e.nameOffset), (28, e.nameCount), (32, e.namespaceOffset), (36, e.namespaceCount),
                    (48, Int(section.role)), (52, e.watermarkOffset), (56, e.watermarkCount), (60, source.watermark == nil ? 0 : 1),
                ] {
                    entry.storeBytes(of: UInt32(value).littleEndian, toByteOffset: offset, as: UInt32.self)
                }
                entry.storeBytes(of: UInt64(source.shadowed).littleEndian, toByteOffset: 40, as: UInt64.self)
            }
            (base + stringsStart).copyMemory(from: strings, byteCount: strings.count)
            let checksum = headerChecksum(UnsafeRawBufferPointer(raw), dataStart: dataStart)
            base.storeBytes(of: checksum.littleEndian, toByteOffset: 56, as: UInt64.self)
        }
        try head.withUnsafeBytes { try writeAll(fd, $0, path) }

        var written = dataStart
        let padding = [UInt8](repeating: 0, count: alignment)
        for (i, section) in sections.enumerated() {
            precondition(written == sectionOffsets[i])
            let table = section.table
            var header = [UInt8](repeating: 0, count: TableHeader.size)
            header.withUnsafeMutableBytes { table.header.write(to: $0.baseAddress!) }
            try header.withUnsafeBytes { try writeAll(fd, $0, path) }
            try writeAll(fd, UnsafeRawBufferPointer(start: table.buckets, count: table.bucketCount * KeyTable.bucketBytes), path)
            try writeAll(fd, UnsafeRawBufferPointer(start: table.arena, count: Int(table.header.arenaBytes)), path)
            written += sectionLength(table)
            let pad = align(written) - written
            if pad > 0 { try padding.withUnsafeBytes { try writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<pad]), path) } }
            written += pad
        }
        return fileSize
    }

    // MARK: Reading

    /// Reads the snapshot at `path` into memory of its own and returns its index, after
    /// checking every byte and the structure of every table (see ``LoadedFile``).
    ///
    /// - Parameter fingerprint: the fingerprint of the current configuration;
    ///   a snapshot written under another configuration is refused.
    /// - Throws: ``SnapshotError`` saying exactly what is wrong.
    public static func read(path: String, fingerprint: UInt64) throws -> Index {
        try open(path: path, fingerprint: fingerprint).index
    }

    /// As ``read(path:fingerprint:)``, with what the snapshot says about itself (its size, …),
    /// from the same mapping.
    public static func open(path: String, fingerprint: UInt64) throws -> (index: Index, metadata: Metadata) {
        let file = try LoadedFile(path: path)
        let metadata = try verifiedMetadata(file)
        let bytes = file.bytes
        let base = bytes.baseAddress!
        let count = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        let stringsStart = headerSize + directoryEntrySize * count
        var sources: [(source: String, namespace: String, base: KeyTable, overlay: KeyTable?, shadowed: Int, watermark: String?)] = []
        var covered = Int(truncatingIfNeeded: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 48, as: UInt64.self)))
        for i in 0..<count {
            let entry = base + headerSize + i * directoryEntrySize
            func u64(_ o: Int) -> Int { Int(truncatingIfNeeded: UInt64(littleEndian: entry.loadUnaligned(fromByteOffset: o, as: UInt64.self))) }
            func u32(_ o: Int) -> Int { Int(UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: o, as: UInt32.self))) }
            let offset = u64(0)
            let length = u64(8)
            // Values read from the file are untrusted: compare before any arithmetic can overflow.
            guard offset >= 0, length >= TableHeader.size, length <= bytes.count, offset <= bytes.count - length else {
                throw SnapshotError(.wrongSize, path: path, "section \(i + 1) lies outside the file (the file is truncated or damaged)")
            }
            // Alignment padding is not checksummed: it must be zero, so that no byte of the file goes unchecked.
            guard offset >= covered, UnsafeRawBufferPointer(start: base + covered, count: offset - covered).allSatisfy({ $0 == 0 })
            else {
                throw SnapshotError(.badChecksum, path: path, "padding before section \(i + 1) is not zero (the file is damaged)")
            }
            covered = offset + length
            let section = base + offset
            guard let header = TableHeader.read(from: section),
                header.bucketCount >= 1, header.arenaBytes <= UInt64(length), header.bucketCount <= UInt64(length / KeyTable.bucketBytes),
                TableHeader.size + Int(header.bucketCount) * KeyTable.bucketBytes + Int(header.arenaBytes) == length
            else {
                throw SnapshotError(.malformed, path: path, "section \(i + 1) has an invalid table header")
            }
            let buckets = section + TableHeader.size
            let arena = buckets + Int(header.bucketCount) * KeyTable.bucketBytes
            let table = KeyTable(header: header, buckets: buckets, arena: arena, owner: file)
            let storedHeader = UnsafeRawBufferPointer(start: section, count: TableHeader.size)
            guard sectionChecksum(table, header: storedHeader) == UInt64(littleEndian: entry.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            else {
                throw SnapshotError(.badChecksum, path: path, "section \(i + 1) fails its checksum (the file is damaged)")
            }
            if let problem = table.structuralProblem() {
                throw SnapshotError(.malformed, path: path, "section \(i + 1) is not a valid table: \(problem)")
            }
            func string(_ o: Int, _ n: Int) throws -> String {
                guard stringsStart + o + n <= bytes.count,
                    let s = String(validating: UnsafeRawBufferPointer(start: base + stringsStart + o, count: n), as: UTF8.self)
                else { throw SnapshotError(.malformed, path: path, "section \(i + 1) has an invalid name") }
                return s
            }
            let role = u32(48)
            let flags = u32(60)
            guard role <= 1, flags <= 1 else {
                throw SnapshotError(.malformed, path: path, "section \(i + 1) has an unknown role or flags")
            }
            let name = try string(u32(24), u32(28))
            if role == 1 {
                // An overlay follows its source's base, once.
                guard let last = sources.last, last.source == name, last.overlay == nil else {
                    throw SnapshotError(.malformed, path: path, "section \(i + 1) is an overlay without its base before it")
                }
                sources[sources.count - 1].overlay = table
                continue
            }
            sources.append(
                (name, try string(u32(32), u32(36)), table, nil, u64(40), flags == 1 ? try string(u32(52), u32(56)) : nil))
        }
        guard UnsafeRawBufferPointer(start: base + covered, count: bytes.count - covered).allSatisfy({ $0 == 0 }) else {
            throw SnapshotError(.badChecksum, path: path, "padding at the end is not zero (the file is damaged)")
        }
        guard metadata.fingerprint == fingerprint else {
            throw SnapshotError(
                .configurationChanged, path: path, "it was written for another configuration of sources")
        }
        var tables: [Index.SourceTable] = []
        for source in sources {
            let layer = SourceLayer(base: source.base, overlay: source.overlay)
            // A damaged count must not make a namespace's entries negative (nor overflow them: a
            // count past Int.max reads as negative).
            guard source.shadowed >= 0, source.shadowed <= layer.count, !tables.contains(where: { $0.source == source.source }) else {
                throw SnapshotError(.malformed, path: path, "the directory of source '\(source.source)' is inconsistent")
            }
            tables.append(
                Index.SourceTable(
                    source: source.source, namespace: source.namespace, layer: layer, shadowed: source.shadowed,
                    watermark: source.watermark))
        }
        let index = Index(generation: metadata.generation, createdAtMicroseconds: metadata.createdAtMicroseconds, sources: tables)
        return (index, metadata)
    }

    /// The snapshot's own description, after checking its header (not its sections).
    public static func metadata(path: String) throws -> Metadata {
        try verifiedMetadata(try LoadedFile(path: path))
    }

    private static func verifiedMetadata(_ file: LoadedFile) throws -> Metadata {
        let path = file.path
        let bytes = file.bytes
        guard bytes.count >= headerSize else {
            throw SnapshotError(.wrongSize, path: path, "the file is truncated (\(bytes.count) bytes)")
        }
        guard bytes.starts(with: magic) else {
            throw SnapshotError(.badMagic, path: path, "not a nameindex snapshot (bad magic)")
        }
        let base = bytes.baseAddress!
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        let version = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == formatVersion else {
            throw SnapshotError(.unsupportedVersion, path: path, "format version \(version) is not supported (expected \(formatVersion))")
        }
        guard u64(40) == UInt64(bytes.count) else {
            throw SnapshotError(.wrongSize, path: path, "the file is \(bytes.count) bytes but says \(u64(40)) (truncated or damaged)")
        }
        let count = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        let dataStart = Int(truncatingIfNeeded: u64(48))
        guard dataStart >= headerSize + count * directoryEntrySize, dataStart <= bytes.count else {
            throw SnapshotError(.malformed, path: path, "the header is inconsistent")
        }
        guard headerChecksum(bytes, dataStart: dataStart) == u64(56) else {
            throw SnapshotError(.badChecksum, path: path, "the header fails its checksum (the file is damaged)")
        }
        return Metadata(generation: u64(16), createdAtMicroseconds: u64(24), fingerprint: u64(32), fileBytes: bytes.count)
    }

    // MARK: Checksums and helpers

    /// xxHash64 of bytes 64..<dataStart, seeded with xxHash64 of bytes 0..<56 (the checksum field is skipped).
    static func headerChecksum(_ bytes: UnsafeRawBufferPointer, dataStart: Int) -> UInt64 {
        let seed = XXHash64.hash(UnsafeRawBufferPointer(rebasing: bytes[0..<56]))
        return XXHash64.hash(UnsafeRawBufferPointer(rebasing: bytes[headerSize..<dataStart]), seed: seed)
    }

    /// xxHash64 of the arena, seeded with that of the buckets, seeded with that of the table header's bytes.
    static func sectionChecksum(_ table: KeyTable, header stored: UnsafeRawBufferPointer? = nil) -> UInt64 {
        var header = [UInt8](repeating: 0, count: TableHeader.size)
        header.withUnsafeMutableBytes { table.header.write(to: $0.baseAddress!) }
        // Reading: the bytes as stored, reserved fields included; writing: the bytes about to be written.
        let h1 = stored.map { XXHash64.hash($0) } ?? XXHash64.hash(header)
        let h2 = XXHash64.hash(UnsafeRawBufferPointer(start: table.buckets, count: table.bucketCount * KeyTable.bucketBytes), seed: h1)
        return XXHash64.hash(UnsafeRawBufferPointer(start: table.arena, count: Int(table.header.arenaBytes)), seed: h2)
    }

    /// Rewrites every checksum of the snapshot bytes to match their content, as far as the
    /// directory and table headers make sense (others are left alone). For tests and the fuzz
    /// target: a file crafted with valid checksums must still be refused by the structural
    /// checks.
    static func recomputeChecksums(_ bytes: UnsafeMutableRawBufferPointer) {
        guard bytes.count >= headerSize, let base = bytes.baseAddress else { return }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        let count = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        guard count <= (bytes.count - headerSize) / directoryEntrySize else { return }
        for i in 0..<count {
            let entry = headerSize + i * directoryEntrySize
            let offset = u64(entry), length = u64(entry + 8)
            guard offset <= UInt64(bytes.count), length >= UInt64(TableHeader.size), length <= UInt64(bytes.count) - offset else { continue }
            let section = Int(offset)
            let buckets = u64(section + 8), arena = u64(section + 16)
            guard buckets <= (length - UInt64(TableHeader.size)) / UInt64(KeyTable.bucketBytes),
                arena <= length - UInt64(TableHeader.size) - buckets * UInt64(KeyTable.bucketBytes)
            else { continue }
            let h1 = XXHash64.hash(UnsafeRawBufferPointer(rebasing: bytes[section..<section + TableHeader.size]))
            let bucketStart = section + TableHeader.size
            let arenaStart = bucketStart + Int(buckets) * KeyTable.bucketBytes
            let h2 = XXHash64.hash(UnsafeRawBufferPointer(rebasing: bytes[bucketStart..<arenaStart]), seed: h1)
            let h3 = XXHash64.hash(UnsafeRawBufferPointer(rebasing: bytes[arenaStart..<arenaStart + Int(arena)]), seed: h2)
            base.storeBytes(of: h3.littleEndian, toByteOffset: entry + 16, as: UInt64.self)
        }
        let dataStart = Int(truncatingIfNeeded: u64(48))
        guard dataStart >= headerSize, dataStart <= bytes.count else { return }
        base.storeBytes(of: headerChecksum(UnsafeRawBufferPointer(bytes), dataStart: dataStart).littleEndian, toByteOffset: 56, as: UInt64.self)
    }

    static func sectionLength(_ table: KeyTable) -> Int {
        TableHeader.size + table.bucketCount * KeyTable.bucketBytes + Int(table.header.arenaBytes)
    }

    static func align(_ value: Int) -> Int { (value + alignment - 1) / alignment * alignment }

    private static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, _ path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, min(buffer.count - offset, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, "write failed")
            }
            offset += n
        }
    }

    private static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = Glibc.open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// A write error for the system call that just failed, with its errno text.
    private static func failure(_ path: String, _ what: String) -> SnapshotError {
        SnapshotError(.writeFailed, path: path, "\(what): \(String(cString: strerror(errno)))")
    }
}
