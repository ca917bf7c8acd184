import CNameIndexShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension KeyTableBuilder {
    /// Puts every arena entry into the buckets, in arena order (so the first row
    /// of a repeated key wins), counting entries, bytes and repeats. `compacting`: each entry
    /// kept is also moved down to follow the one kept before it, so the repeats drop out of
    /// the arena; returns the bytes the entries kept take.
    ///
    /// Filling touches buckets in random order, one cache miss per row; the
    /// entries are therefore hashed a few rows ahead and their buckets
    /// prefetched, so those misses overlap. The order of insertion is unchanged.
    func fill(
        buckets: UnsafeMutableRawPointer, bucketCount: Int, arena: UnsafeMutableRawPointer, header: inout TableHeader,
        compacting: Bool
    ) -> Int {
        let lookahead = 16
        var totals = (count: UInt64(0), keyBytes: UInt64(0), nameBytes: UInt64(0), duplicates: UInt64(0))
        let kind = header.kind
        let end = arenaCount
        var write = 0
        withUnsafeMutablePointer(to: &write) { written in
            let write = compacting ? written : nil
            withUnsafeTemporaryAllocation(of: (offset: Int, hash: UInt64).self, capacity: lookahead) { ring in
                var head = 0
                var pending = 0
                var scan = 0
                while scan < end || pending > 0 {
                    if scan < end && pending < lookahead {
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
                    Self.insert(
                        offset: offset, hash: hash, kind: kind, buckets: buckets, bucketCount: bucketCount, arena: arena,
                        totals: &totals, write: write)
                }
            }
        }
        header.count = totals.count
        header.keyBytes = totals.keyBytes
        header.nameBytes = totals.nameBytes
        header.duplicates = totals.duplicates
        return compacting ? write : end
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

    /// Places the entry at `offset` unless its key is already in the buckets; with `write`,
    /// moves it there first (never past `offset`) and advances `write` past it.
    @inline(__always)
    private static func insert(
        offset: Int, hash: UInt64, kind: KeyTable.KeyKind, buckets: UnsafeMutableRawPointer, bucketCount: Int,
        arena: UnsafeMutableRawPointer, totals: inout (count: UInt64, keyBytes: UInt64, nameBytes: UInt64, duplicates: UInt64),
        write: UnsafeMutablePointer<Int>?
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
        var placed = offset
        if let write {
            placed = write.pointee
            let length = position + nameCount - offset
            if placed != offset { (arena + placed).copyMemory(from: arena + offset, byteCount: length) }  // memmove: placed < offset
            write.pointee += length
        }
        place(offset: placed, hash: hash, buckets: buckets, bucketCount: bucketCount)
        totals.count += 1
        totals.keyBytes += UInt64(textLength)
        totals.nameBytes += UInt64(nameCount)
    }

    private static func place(offset: Int, hash: UInt64, buckets: UnsafeMutableRawPointer, bucketCount: Int) {
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

}
