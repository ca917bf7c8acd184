import CNameIndexShims

extension KeyTable {
    /// Keys looked up together; larger groups overlap more cache misses but
    /// need the early loads to still be in cache by the time they are used.
    static let batchGroup = 16

    /// Looks up `count` keys, calling `result(i, name)` for each in order.
    ///
    /// The same answers as ``name(forKey:)`` key by key, but faster per key:
    /// for a group of keys it first hashes all and prefetches their buckets,
    /// then prefetches the arena entries their tags point at, and only then
    /// compares, so the cache misses of different keys overlap instead of
    /// adding up.
    public func names(
        count: Int, key: (Int) -> UnsafeRawBufferPointer, result: (Int, UnsafeRawBufferPointer?) -> Void
    ) {
        names(count: count, key: key, hashed: nil, result: result)
    }

    /// As ``names(count:key:result:)``, telling `hashed(i, hash)` each key's hash in this table
    /// (nil: it cannot be in it) as soon as it is known: for each group of ``batchGroup`` keys,
    /// every `hashed` call comes before any `result` call of the group, and after every
    /// `result` of the group before. `staged(i, pass)` is called for each key of a group in
    /// `stages` passes (pass 0, then 1, …) after the group's own prefetches and before its
    /// results: room for a caller's own prefetches, a stage apart, to arrive.
    func names(
        count: Int, key: (Int) -> UnsafeRawBufferPointer, hashed: ((Int, UInt64?) -> Void)?,
        stages: Int = 0, staged: ((Int, Int) -> Void)? = nil,
        result: (Int, UnsafeRawBufferPointer?) -> Void
    ) {
        var start = 0
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: KeyTable.batchGroup) { hashes in
            while start < count {
                let end = min(count, start + KeyTable.batchGroup)
                // 1. Hash and prefetch each home bucket.
                for i in start..<end {
                    let hash = self.hash(of: key(i))
                    hashed?(i, hash)
                    hashes[i - start] = hash ?? 0
                    if let hash { prefetchHome(hash) }
                }
                // 2. Prefetch the arena entry of the first tag match in each home bucket.
                for i in start..<end {
                    let hash = hashes[i - start]
                    if hash == 0 { continue }  // cannot be in the table, or (rarely) a real 0: just no prefetch
                    prefetchEntry(hash)
                }
                if let staged {
                    for pass in 0..<stages {
                        for i in start..<end { staged(i, pass) }
                    }
                }
                // 3. Resolve exactly, now mostly from cache (the hashes of stage 1 kept).
                for i in start..<end {
                    let hash = hashes[i - start]
                    result(i, hash == 0 ? name(forKey: key(i)) : find(key(i), hash: hash).map { nameAt($0) })
                }
                start = end
            }
        }
    }

    /// The hash a key would have in this table; nil when it cannot be in it
    /// (not a canonical integer in an integer table).
    @inline(__always) @usableFromInline
    func hash(of key: UnsafeRawBufferPointer) -> UInt64? {
        switch header.kind {
        case .text: return NameHash.hash(key)
        case .integer: return CanonicalInteger.parse(key).map { NameHash.hash(integer: $0) }
        }
    }

    /// Prefetches the home bucket of `hash` (this table's hash of a key).
    @inline(__always)
    func prefetchHome(_ hash: UInt64) {
        nameindex_prefetch(buckets + KeyTable.home(hash, bucketCount: bucketCount) * KeyTable.bucketBytes)
    }

    /// Prefetches the arena entry of the first tag match in `hash`'s home bucket, if any
    /// (reads the bucket: prefetch it a stage before).
    @inline(__always)
    func prefetchEntry(_ hash: UInt64) {
        let bucket = buckets + KeyTable.home(hash, bucketCount: bucketCount) * KeyTable.bucketBytes
        if let slot = KeyTable.firstTagMatch(bucket, tag: KeyTable.tag(hash)) {
            nameindex_prefetch(arena + Int(KeyTable.slotOffset(bucket, slot)))
        }
    }

    /// The first used slot of `bucket` whose tag is `tag`.
    @inline(__always)
    static func firstTagMatch(_ bucket: UnsafeRawPointer, tag: UInt8) -> Int? {
        let used = Int(bucket.load(fromByteOffset: usedOffset, as: UInt8.self))
        let low = bucket.loadUnaligned(as: UInt64.self) ^ (0x0101_0101_0101_0101 &* UInt64(tag))
        let high = UInt64(bucket.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) ^ (0x0101_0101 &* UInt64(tag))
        let candidates = (zeroBytes(low) | (zeroBytes(high) << 8)) & ((UInt64(1) << used) &- 1)
        return candidates == 0 ? nil : candidates.trailingZeroBitCount
    }
}
