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
/// The arena is reserved address space (``LargeMemory/reserve(_:)``, 4 GiB,
/// the most 32-bit offsets can address, inaccessible and uncharged): it never
/// moves, a growing prefix of it is committed as rows are written (charged
/// then, so a memory limit is an error of this source, not a crash), and the
/// unused rest is returned at the end.
public final class KeyTableBuilder: @unchecked Sendable {  // owned by one task at a time, handed over whole
    private var arena: UnsafeMutableRawPointer?
    private var arenaCount = 0
    /// Bytes of the arena committed (usable).
    private var arenaCapacity = 0
    /// Bytes of address space reserved for the arena.
    private var arenaReserved = 0
    private var allIntegers = true
    private var built = false

    /// Rows added so far (including ones whose key will turn out to repeat).
    public private(set) var rowCount = 0

    public init() {}

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
        if allIntegers && CanonicalInteger.parse(key) == nil { allIntegers = false }
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
        allIntegers = allIntegers && other.allIntegers
        LargeMemory.free(other.arena, other.arenaReserved)
        other.arena = nil
        other.arenaCapacity = 0
        other.arenaReserved = 0
        other.built = true
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
        let bucketCount = max(1, (rowCount * 10 + 107) / 108)  // about 10.8 entries per 12-slot bucket
        guard let buckets = LargeMemory.allocate(bucketCount * KeyTable.bucketBytes) else {
            throw KeyTableError(
                message: "out of memory: cannot get \(bucketCount * KeyTable.bucketBytes) bytes for the table of \(rowCount) rows")
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
        fill(buckets: buckets, bucketCount: bucketCount, arena: storedArena, header: &header)
        return KeyTable(header: header, buckets: buckets, arena: storedArena)
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

    /// Puts every arena entry into the buckets, in arena order (so the first row
    /// of a repeated key wins), counting entries, bytes and repeats.
    ///
    /// Filling touches buckets in random order, one cache miss per row; the
    /// entries are therefore hashed a few rows ahead and their buckets
    /// prefetched, so those misses overlap. The order of insertion is unchanged.
    private func fill(
        buckets: UnsafeMutableRawPointer, bucketCount: Int, arena: UnsafeMutableRawPointer, header: inout TableHeader
    ) {
        let lookahead = 16
        var totals = (count: UInt64(0), keyBytes: UInt64(0), nameBytes: UInt64(0), duplicates: UInt64(0))
        let kind = header.kind
        withUnsafeTemporaryAllocation(of: (offset: Int, hash: UInt64).self, capacity: lookahead) { ring in
            var head = 0
            var pending = 0
            var scan = 0
            while scan < arenaCount || pending > 0 {
                if scan < arenaCount && pending < lookahead {
                    let (hash, next) = Self.hashEntry(arena, at: scan, kind: kind)
                    nameindex_prefetch(buckets + KeyTable.home(hash, bucketCount: bucketCount) * KeyTable.bucketBytes)
                    ring[(head + pending) % lookahead] = (scan, hash)
                    pending += 1
                    scan = next
                    continue
                }
                let (offset, hash) = ring[head]
                head = (head + 1) % lookahead
                pending -= 1
                insert(offset: offset, hash: hash, kind: kind, buckets: buckets, bucketCount: bucketCount, arena: arena, totals: &totals)
            }
        }
        header.count = totals.count
        header.keyBytes = totals.keyBytes
        header.nameBytes = totals.nameBytes
        header.duplicates = totals.duplicates
    }

    /// The hash of the entry at `offset` and the offset of the entry after it.
    @inline(__always)
    private static func hashEntry(_ arena: UnsafeMutableRawPointer, at offset: Int, kind: KeyTable.KeyKind) -> (UInt64, Int) {
        var position = offset
        let hash: UInt64
        switch kind {
        case .text:
            let keyCount = Varint.read(arena, &position)
            hash = NameHash.hash(UnsafeRawBufferPointer(start: arena + position, count: keyCount))
            position += keyCount
        case .integer:
            hash = NameHash.hash(integer: Varint.readZigZag(arena, &position))
        }
        let nameCount = Varint.read(arena, &position)
        return (hash, position + nameCount)
    }

    /// Places the entry at `offset` unless its key is already in the buckets.
    @inline(__always)
    private func insert(
        offset: Int, hash: UInt64, kind: KeyTable.KeyKind, buckets: UnsafeMutableRawPointer, bucketCount: Int,
        arena: UnsafeMutableRawPointer, totals: inout (count: UInt64, keyBytes: UInt64, nameBytes: UInt64, duplicates: UInt64)
    ) {
        var position = offset
        let textLength: Int
        let isRepeat: Bool
        switch kind {
        case .text:
            let keyCount = Varint.read(arena, &position)
            let key = arena + position
            textLength = keyCount
            position += keyCount
            isRepeat = KeyTable.probe(buckets: buckets, bucketCount: bucketCount, hash: hash) { other in
                var p = other
                let c = Varint.read(arena, &p)
                return c == keyCount && (c == 0 || memcmp(arena + p, key, c) == 0)
            } != nil
        case .integer:
            let value = Varint.readZigZag(arena, &position)
            textLength = CanonicalInteger.textLength(value)
            isRepeat = KeyTable.probe(buckets: buckets, bucketCount: bucketCount, hash: hash) { other in
                var p = other
                return Varint.readZigZag(arena, &p) == value
            } != nil
        }
        if isRepeat {
            totals.duplicates += 1
            return
        }
        let nameCount = Varint.read(arena, &position)
        place(offset: offset, hash: hash, buckets: buckets, bucketCount: bucketCount)
        totals.count += 1
        totals.keyBytes += UInt64(textLength)
        totals.nameBytes += UInt64(nameCount)
    }

    private func place(offset: Int, hash: UInt64, buckets: UnsafeMutableRawPointer, bucketCount: Int) {
        var b = KeyTable.home(hash, bucketCount: bucketCount)
        while true {
            let bucket = buckets + b * KeyTable.bucketBytes
            let used = Int(bucket.load(fromByteOffset: KeyTable.usedOffset, as: UInt8.self))
            if used < KeyTable.slotsPerBucket {
                bucket.storeBytes(of: KeyTable.tag(hash), toByteOffset: used, as: UInt8.self)
                bucket.storeBytes(
                    of: UInt32(offset).littleEndian, toByteOffset: KeyTable.offsetsOffset + used * 4, as: UInt32.self)
                bucket.storeBytes(of: UInt8(used + 1), toByteOffset: KeyTable.usedOffset, as: UInt8.self)
                return
            }
            b += 1
            if b == bucketCount { b = 0 }
        }
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

/// A table that cannot be built.
public struct KeyTableError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
