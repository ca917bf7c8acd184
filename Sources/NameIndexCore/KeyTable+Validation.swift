import CNameIndexShims

extension KeyTable {
    /// What is structurally wrong with a table read from a file, or nil when every lookup
    /// and scan of it stays inside its memory and ends.
    ///
    /// A checksum says the bytes are the ones written; it does not say that whoever wrote
    /// them (a damaged writer, a file crafted with valid checksums) wrote a table. This
    /// checks what the lookup code takes for granted, in one pass over the buckets:
    ///
    /// - every bucket has at most 12 used slots, a non-zero tag in each, and zero tags after;
    /// - every used slot's offset lies in the arena, and the entry there (its varints, key
    ///   and name) ends inside the arena; a varint has at most 10 bytes;
    /// - the entries add up to the header's count, key bytes and name bytes;
    /// - at least one bucket is not full, so that a probe for a missing key stops.
    func structuralProblem() -> String? {
        let arenaBytes = Int(header.arenaBytes)
        var entries = 0
        var nameTotal = 0
        var keyTotal = 0
        var sawRoom = false
        // Entries are reached in bucket order, a cache miss each: those of a few buckets
        // ahead are prefetched, so that the misses overlap (a plain pass took 1–2 s at 10M).
        let lookahead = 3
        for b in 0..<bucketCount {
            if b + lookahead < bucketCount { prefetchEntries(ofBucket: b + lookahead, arenaBytes: arenaBytes) }
            let bucket = buckets + b * KeyTable.bucketBytes
            let used = Int(bucket.load(fromByteOffset: KeyTable.usedOffset, as: UInt8.self))
            guard used <= KeyTable.slotsPerBucket else { return "bucket \(b) says \(used) slots are used (at most 12)" }
            if used < KeyTable.slotsPerBucket { sawRoom = true }
            for slot in 0..<KeyTable.slotsPerBucket {
                let tag = bucket.load(fromByteOffset: slot, as: UInt8.self)
                guard (slot < used) == (tag != 0) else { return "bucket \(b) slot \(slot) has a tag that does not fit its fill" }
            }
            for slot in 0..<used {
                let offset = Int(KeyTable.slotOffset(bucket, slot))
                guard offset < arenaBytes else { return "bucket \(b) points outside the arena" }
                var position = offset
                switch header.kind {
                case .text:
                    guard let keyCount = Self.checkedVarint(arena, &position, end: arenaBytes),
                        keyCount <= arenaBytes - position
                    else { return "the entry at \(offset) has a key that runs past the arena" }
                    position += keyCount
                    keyTotal += keyCount
                case .integer:
                    guard let value = Self.checkedVarint(arena, &position, end: arenaBytes, allowFull64: true) else {
                        return "the entry at \(offset) has an integer key that runs past the arena"
                    }
                    let zigzag = UInt64(bitPattern: Int64(truncatingIfNeeded: value))
                    keyTotal += CanonicalInteger.textLength(Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1))))
                }
                guard let nameCount = Self.checkedVarint(arena, &position, end: arenaBytes), nameCount <= arenaBytes - position
                else { return "the entry at \(offset) has a name that runs past the arena" }
                nameTotal += nameCount
                entries += 1
            }
        }
        guard sawRoom else { return "every bucket is full" }
        // Compared as stored (UInt64): the Int accessors would trap on a value past Int.max.
        guard UInt64(entries) == header.count else { return "it holds \(entries) entries but says \(header.count)" }
        guard UInt64(nameTotal) == header.nameBytes, UInt64(keyTotal) == header.keyBytes else {
            return "its key and name byte counts do not match its entries"
        }
        guard header.duplicates <= UInt64(Int32.max) * 1024 else { return "its count of duplicates is out of range" }
        return nil
    }

    /// Prefetches the arena entries of bucket `b` (only offsets inside the arena; the
    /// bucket's fill is not trusted yet).
    @inline(__always)
    private func prefetchEntries(ofBucket b: Int, arenaBytes: Int) {
        let bucket = buckets + b * KeyTable.bucketBytes
        let used = min(Int(bucket.load(fromByteOffset: KeyTable.usedOffset, as: UInt8.self)), KeyTable.slotsPerBucket)
        for slot in 0..<used {
            let offset = Int(KeyTable.slotOffset(bucket, slot))
            if offset < arenaBytes { nameindex_prefetch(arena + offset) }
        }
    }

    /// A LEB128 varint at `position` that ends before `end` and fits 63 bits (64 with
    /// `allowFull64`, as a zigzag-coded key; returned as its bit pattern); nil otherwise.
    private static func checkedVarint(_ base: UnsafeRawPointer, _ position: inout Int, end: Int, allowFull64: Bool = false) -> Int? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end && shift < 64 {
            let byte = base.load(fromByteOffset: position, as: UInt8.self)
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                guard allowFull64 || result <= UInt64(Int.max) else { return nil }
                return Int(truncatingIfNeeded: result)
            }
            shift += 7
        }
        return nil
    }
}
