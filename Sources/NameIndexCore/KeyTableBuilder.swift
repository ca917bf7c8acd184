#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNameIndexShims

/// Builds a ``KeyTable`` from rows streamed in, one batch at a time.
///
/// Rows are appended to the arena as they arrive; nothing else is held per
/// row. ``build()`` then decides the key kind (integers when every key was a
/// canonical decimal integer, rewriting the arena in place), sizes the buckets
/// for the final count and fills them. A key that repeats keeps its first row;
/// the repeats are counted in ``KeyTable/duplicates``.
///
/// Repeats do not fill memory: a ``DistinctEstimate`` counts the distinct keys as rows
/// arrive, and each time the arena has doubled (from 64 MiB) while a fifth or more of its
/// rows look like repeats, the arena is compacted in place: the first row of each key is
/// kept, the rest dropped and counted, and the freed pages given back. So the arena stays
/// within about twice the distinct rows' bytes, and the buckets are sized by distinct keys
/// (``finish()`` compacts first when repeats are that many).
///
/// The arena is reserved address space (``LargeMemory/reserve(_:)``, 4 GiB,
/// the most 32-bit offsets can address, inaccessible and uncharged): it never
/// moves, a growing prefix of it is committed as rows are written (charged
/// then, so a memory limit is an error of this source, not a crash), and the
/// unused rest is returned at the end.
public final class KeyTableBuilder: @unchecked Sendable {  // owned by one task at a time, handed over whole
    private var arena: UnsafeMutableRawPointer?
    /// Bytes of the arena written.
    private(set) var arenaCount = 0
    /// Bytes of the arena committed (usable).
    private var arenaCapacity = 0
    /// Bytes of address space reserved for the arena.
    private var arenaReserved = 0
    private var allIntegers = true
    private var built = false
    /// Entries in the arena: rows added, less the repeats compaction dropped.
    private var entryCount = 0
    /// Repeats dropped by compaction so far.
    private var droppedRepeats = 0
    private let distinct = DistinctEstimate()
    /// The arena size at which to look for repeats next.
    private var compactAt: Int
    /// Compaction's first look; 64 MiB by default.
    let compactionStart: Int

    /// Rows added so far (including ones whose key will turn out to repeat).
    public private(set) var rowCount = 0

    public convenience init() { self.init(compactionStart: 64 << 20) }

    /// A builder that looks for repeats first when its arena reaches `compactionStart` bytes
    /// (tests use small values).
    init(compactionStart: Int) {
        self.compactionStart = compactionStart
        self.compactAt = compactionStart
    }

    deinit {
        if !built { LargeMemory.free(arena, arenaReserved) }
    }

    /// Adds every row of `batch`.
    ///
    /// - Throws: ``KeyTableError`` when the table would exceed its 4 GiB arena.
    public func add(_ batch: RowBatch) throws {
        try batch.forEach { key, name in try insert(key: key, name: name) }
    }

    /// Adds one row.
    ///
    /// - Throws: ``KeyTableError`` when the table would exceed its 4 GiB arena.
    public func insert(key: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) throws {
        precondition(!built, "KeyTableBuilder used after build()")
        let needed = key.count + name.count + 20
        if arenaCount + needed > arenaCapacity { try grow(to: arenaCount + needed) }
        let base = arena!
        var position = arenaCount
        Varint.write(UInt64(key.count), base, &position)
        if key.count > 0 { (base + position).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        position += key.count
        Varint.write(UInt64(name.count), base, &position)
        if name.count > 0 { (base + position).copyMemory(from: name.baseAddress!, byteCount: name.count) }
        position += name.count
        arenaCount = position
        rowCount += 1
        entryCount += 1
        distinct.add(key: key)
        if allIntegers && CanonicalInteger.parse(key) == nil { allIntegers = false }
        if arenaCount >= compactAt { try compactIfRepeating() }
    }

    /// Appends every row of `other`, after the rows already here; `other` may not be used afterwards.
    ///
    /// This is how the partitions of a source become one table: each streams
    /// into its own builder, and they are joined in partition order, so the
    /// first partition wins a key that several return.
    public func absorb(_ other: KeyTableBuilder) throws {
        precondition(!built && !other.built, "KeyTableBuilder used after build()")
        guard other.arenaCount > 0, let source = other.arena else { return }
        if arenaCount + other.arenaCount > arenaCapacity { try grow(to: arenaCount + other.arenaCount) }
        (arena! + arenaCount).copyMemory(from: source, byteCount: other.arenaCount)
        arenaCount += other.arenaCount
        rowCount += other.rowCount
        entryCount += other.entryCount
        droppedRepeats += other.droppedRepeats
        distinct.merge(other.distinct)
        allIntegers = allIntegers && other.allIntegers
        LargeMemory.free(other.arena, other.arenaReserved)
        other.arena = nil
        other.arenaCapacity = 0
        other.arenaReserved = 0
        other.built = true
        if arenaCount >= compactAt { try compactIfRepeating() }
    }

    /// Adds one row given as strings; for tests and small inputs.
    public func insert(key: String, name: String) throws {
        var k = key
        var n = name
        try k.withUTF8 { kb in
            try n.withUTF8 { nb in try insert(key: UnsafeRawBufferPointer(kb), name: UnsafeRawBufferPointer(nb)) }
        }
    }

    /// Finishes the table, for tests and small inputs: traps where ``finish()`` throws.
    public func build() -> KeyTable {
        do {
            return try finish()
        } catch {
            fatalError("\(error)")
        }
    }

    /// Finishes the table. The builder may not be used afterwards.
    ///
    /// - Throws: ``KeyTableError`` when memory for the buckets cannot be had; the builder's
    ///   memory is given back.
    public func finish() throws -> KeyTable {
        precondition(!built, "KeyTableBuilder.build() called twice")
        if looksRepeating { try compact() }
        let bucketCount = Self.bucketCount(for: entryCount)
        guard let buckets = LargeMemory.allocate(bucketCount * KeyTable.bucketBytes) else {
            throw KeyTableError(
                message: "out of memory: cannot get \(bucketCount * KeyTable.bucketBytes) bytes for the table of \(entryCount) rows")
        }
        built = true
        let kind: KeyTable.KeyKind = allIntegers && rowCount > 0 ? .integer : .text
        if kind == .integer { rewriteKeysAsIntegers() }
        let storedArena: UnsafeMutableRawPointer
        if let arena {
            // Give back the reserved address space beyond what was written.
            LargeMemory.shrink(arena, from: arenaReserved, to: arenaCount)
            storedArena = arena
        } else {
            guard let one = LargeMemory.allocate(1) else {
                LargeMemory.free(buckets, bucketCount * KeyTable.bucketBytes)
                throw KeyTableError(message: "out of memory: cannot get a page for an empty table")
            }
            storedArena = one
        }
        arena = nil
        var header = TableHeader(
            kind: kind, bucketCount: UInt64(bucketCount), arenaBytes: UInt64(arenaCount), count: 0, keyBytes: 0,
            nameBytes: 0, duplicates: 0)
        _ = fill(buckets: buckets, bucketCount: bucketCount, arena: storedArena, header: &header, compacting: false)
        header.duplicates += UInt64(droppedRepeats)
        return KeyTable(header: header, buckets: buckets, arena: storedArena)
    }

    /// Buckets for `entries`: about 10.8 entries per 12-slot bucket.
    static func bucketCount(for entries: Int) -> Int { max(1, (entries * 10 + 107) / 108) }

    /// A fifth or more of the entries look like repeats (by the estimate, so the buckets
    /// ``finish()`` sizes are for at most about 1.25 × the distinct keys).
    private var looksRepeating: Bool {
        Double(entryCount) >= 1.25 * distinct.estimate
    }

    /// Compacts when ``looksRepeating``, and looks again once the arena has doubled.
    private func compactIfRepeating() throws {
        if looksRepeating { try compact() }
        compactAt = max(compactionStart, 2 * arenaCount)
    }

    /// Keeps the first row of each key in the arena, in order, and gives back the pages the
    /// repeats took. Keys are compared as text (a canonical integer has one spelling).
    private func compact() throws {
        guard let arena else { return }
        let bucketCount = Self.bucketCount(for: entryCount)
        guard let buckets = LargeMemory.allocate(bucketCount * KeyTable.bucketBytes) else {
            throw KeyTableError(
                message: "out of memory: cannot get \(bucketCount * KeyTable.bucketBytes) bytes to drop the repeated keys of \(entryCount) rows")
        }
        defer { LargeMemory.free(buckets, bucketCount * KeyTable.bucketBytes) }
        var header = TableHeader(kind: .text, bucketCount: UInt64(bucketCount), arenaBytes: 0, count: 0, keyBytes: 0, nameBytes: 0, duplicates: 0)
        arenaCount = fill(buckets: buckets, bucketCount: bucketCount, arena: arena, header: &header, compacting: true)
        droppedRepeats += Int(header.duplicates)
        entryCount = Int(header.count)
        let kept = LargeMemory.rounded(arenaCount)
        if kept < arenaCapacity {
            LargeMemory.decommit(arena, from: kept, to: arenaCapacity)
            arenaCapacity = kept
        }
    }

    /// Turns every `varint(length) digits` key into `varint(zigzag(value))`, in place.
    ///
    /// A varint is never longer than the decimal text with its length byte, so
    /// the write position never passes the read position.
    private func rewriteKeysAsIntegers() {
        guard let base = arena else { return }
        var read = 0
        var write = 0
        while read < arenaCount {
            let keyCount = Varint.read(base, &read)
            let value = CanonicalInteger.parse(UnsafeRawBufferPointer(start: base + read, count: keyCount))!
            read += keyCount
            Varint.write(Varint.zigZag(value), base, &write)
            let nameStart = read
            let nameCount = Varint.read(base, &read)
            let nameTotal = (read - nameStart) + nameCount
            (base + write).copyMemory(from: base + nameStart, byteCount: nameTotal)  // memmove semantics: write <= nameStart
            read = nameStart + nameTotal
            write += nameTotal
        }
        arenaCount = write
    }

    private func grow(to needed: Int) throws {
        guard needed <= KeyTable.maximumArenaBytes else {
            throw KeyTableError(message: "a source holds more than 4 GiB of keys and names; split it into several sources")
        }
        // The arena never moves: its whole possible extent is reserved (not committed)
        // on first use, aligned for huge pages, and pages are committed as rows are written.
        if arena == nil {
            // 4 GiB when the address space allows (RLIMIT_AS may not): else the largest of
            // 1 GiB, 256 MiB, 64 MiB that it does, and the table is bounded by that.
            var size = KeyTable.maximumArenaBytes
            var reserved = LargeMemory.reserve(size)
            while reserved == nil && size > 64 << 20 && size / 4 >= needed {
                size /= 4
                reserved = LargeMemory.reserve(size)
            }
            guard let reserved else {
                throw KeyTableError(message: "out of memory: cannot reserve address space for a table (\(size) bytes, uncharged; RLIMIT_AS?)")
            }
            arena = reserved
            arenaReserved = size
        }
        guard needed <= arenaReserved else {
            throw KeyTableError(
                message: "out of memory: the table needs more than the \(arenaReserved) bytes of address space it could reserve (RLIMIT_AS)")
        }
        // Commit ahead by a quarter of what is committed (at least 2 MiB), so that the
        // syscalls stay few; charged now, so a limit is met here.
        let target = min(arenaReserved, max(needed, arenaCapacity + max(LargeMemory.hugePageSize, arenaCapacity / 4)))
        guard LargeMemory.commit(arena!, from: arenaCapacity, to: target) else {
            throw KeyTableError(
                message: "out of memory: cannot grow the table past \(arenaCapacity) bytes (\(String(cString: strerror(errno))); a memory limit such as MemoryMax= or vm.overcommit_memory=2)")
        }
        arenaCapacity = LargeMemory.rounded(target) > arenaReserved ? arenaReserved : LargeMemory.rounded(target)
    }
}

/// A table that cannot be built: out of memory or address space, or past the 4 GiB arena.
public struct KeyTableError: NameIndexError {
    public var code = ErrorCode<KeyTableError>.cannotBuild
    public var message: String
    public var underlying: (any Error & Sendable)?
    public var location: ErrorLocation

    public init(message: String, file: String = #fileID, line: Int = #line) {
        self.message = message
        self.location = ErrorLocation(file: file, line: line)
    }

    public var description: String { message }
}

extension ErrorCode where Domain == KeyTableError {
    public static let cannotBuild = Self("cannotBuild")
}
