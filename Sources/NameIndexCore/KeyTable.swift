#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One source's rows: an immutable map from key to name, laid out so that the
/// bytes in memory are the bytes of its section in a snapshot file.
///
/// A table is three parts (docs/snapshot-format.md gives every byte):
///
/// - a 64-byte ``TableHeader``;
/// - buckets of 64 bytes, one cache line each: 12 one-byte hash tags, the
///   number of used slots, and 12 little-endian 32-bit arena offsets. A key's
///   home bucket is picked from the high bits of its ``NameHash`` by
///   multiply-shift, its tag is the low byte (0 means empty). Buckets fill in
///   slot order and overflow to the next bucket, so a lookup stops at the first
///   bucket that is not full. The table holds about 10.8 entries per bucket;
/// - an arena of entries: `varint(keyLength) key varint(nameLength) name` for
///   text keys, or `varint(zigzag(id)) varint(nameLength) name` when every key
///   of the table is a canonical decimal integer (``CanonicalInteger``).
///
/// No `String`, class instance or `Dictionary` entry exists per row, and a
/// table never changes once built, so any number of threads read it without
/// locks. Its memory is either owned (built here) or borrowed from a mapped
/// snapshot file that the table keeps alive.
public final class KeyTable: @unchecked Sendable {
    public enum KeyKind: UInt32, Sendable {
        case text = 1
        case integer = 2
    }

    public static let bucketBytes = 64
    public static let slotsPerBucket = 12
    static let usedOffset = 12
    static let offsetsOffset = 16
    /// Arena offsets are 32-bit: one table's arena holds at most 4 GiB.
    public static let maximumArenaBytes = Int(UInt32.max)

    let header: TableHeader
    let buckets: UnsafeRawPointer
    let arena: UnsafeRawPointer
    /// Keeps borrowed memory (a mapped file) alive; nil when the table owns its memory.
    private let owner: AnyObject?
    private let ownedBuckets: UnsafeMutableRawPointer?
    private let ownedArena: UnsafeMutableRawPointer?

    /// A table over memory it owns and frees.
    init(header: TableHeader, buckets: UnsafeMutableRawPointer, arena: UnsafeMutableRawPointer) {
        self.header = header
        self.buckets = UnsafeRawPointer(buckets)
        self.arena = UnsafeRawPointer(arena)
        self.owner = nil
        self.ownedBuckets = buckets
        self.ownedArena = arena
    }

    /// A table over memory that `owner` keeps alive (a mapped snapshot).
    init(header: TableHeader, buckets: UnsafeRawPointer, arena: UnsafeRawPointer, owner: AnyObject) {
        self.header = header
        self.buckets = buckets
        self.arena = arena
        self.owner = owner
        self.ownedBuckets = nil
        self.ownedArena = nil
    }

    deinit {
        LargeMemory.free(ownedBuckets, bucketCount * KeyTable.bucketBytes)
        LargeMemory.free(ownedArena, Int(header.arenaBytes))
    }

    /// An empty table.
    public static func empty() -> KeyTable {
        let builder = KeyTableBuilder()
        return builder.build()
    }

    /// Whether keys are stored as text or as integers.
    public var keyKind: KeyKind { header.kind }
    /// Entries in the table (distinct keys).
    public var count: Int { Int(header.count) }
    /// Sum of the key bytes of all entries, as text.
    public var keyBytes: Int { Int(header.keyBytes) }
    /// Sum of the name bytes of all entries.
    public var nameBytes: Int { Int(header.nameBytes) }
    /// Rows that repeated a key already in the table; the first one was kept.
    public var duplicates: Int { Int(header.duplicates) }
    /// Bytes the table occupies: header, buckets and arena, as in a snapshot.
    public var memoryBytes: Int { TableHeader.size + bucketCount * KeyTable.bucketBytes + Int(header.arenaBytes) }

    var bucketCount: Int { Int(header.bucketCount) }

    /// The name bytes stored for `key`, or nil.
    ///
    /// The buffer points into the table and is valid while the table is alive.
    @inlinable
    public func name(forKey key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        find(key).map { nameAt($0) }
    }

    /// The name for `key`, as a `String`; for clients that want one.
    public func name(forKey key: String) -> String? {
        var k = key
        return k.withUTF8 { buffer in
            name(forKey: UnsafeRawBufferPointer(buffer)).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Whether the table holds `key`.
    public func contains(_ key: UnsafeRawBufferPointer) -> Bool { find(key) != nil }

    /// Calls `body` with every entry's key (as text) and name, in bucket order.
    ///
    /// Bucket order is fixed for a given table, so a position in it is a stable cursor.
    public func forEachEntry(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try forEachEntry(inBuckets: 0..<bucketCount, body)
    }

    /// The number of buckets: the positions of ``forEachEntry(inBuckets:_:)``.
    public var bucketTotal: Int { bucketCount }

    /// Calls `body` with the key (as text) and name of every entry in `buckets`, in order.
    public func forEachEntry(
        inBuckets range: Range<Int>, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        var text = (UInt64(0), UInt64(0), UInt64(0))  // 24 bytes for an integer key's text
        try withUnsafeMutableBytes(of: &text) { scratch in
            for b in range.clamped(to: 0..<bucketCount) {
                let bucket = buckets + b * KeyTable.bucketBytes
                let used = Int(bucket.load(fromByteOffset: KeyTable.usedOffset, as: UInt8.self))
                for slot in 0..<used {
                    let offset = Int(KeyTable.slotOffset(bucket, slot))
                    switch header.kind {
                    case .text:
                        var position = offset
                        let keyCount = Varint.read(arena, &position)
                        let key = UnsafeRawBufferPointer(start: arena + position, count: keyCount)
                        try body(key, nameAt(offset))
                    case .integer:
                        var position = offset
                        let value = Varint.readZigZag(arena, &position)
                        let length = CanonicalInteger.write(value, into: scratch)
                        try body(UnsafeRawBufferPointer(rebasing: scratch[0..<length]), nameAt(offset))
                    }
                }
            }
        }
    }

    // MARK: Lookup

    /// The arena offset of `key`'s entry, or nil.
    @usableFromInline
    func find(_ key: UnsafeRawBufferPointer) -> Int? {
        switch header.kind {
        case .text:
            return find(text: key, hash: NameHash.hash(key))
        case .integer:
            guard let value = CanonicalInteger.parse(key) else { return nil }
            return find(integer: value, hash: NameHash.hash(integer: value))
        }
    }

    /// As ``find(_:)``, with the key's hash in this table (``hash(of:)``) already computed.
    @usableFromInline
    func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        switch header.kind {
        case .text: return find(text: key, hash: hash)
        case .integer: return CanonicalInteger.parse(key).flatMap { find(integer: $0, hash: hash) }
        }
    }

    /// A key read once for this table: its hash and, in an integer table, its value.
    @usableFromInline
    struct Probe {
        @usableFromInline let hash: UInt64
        @usableFromInline let value: Int64
    }

    /// `key` read for this table; nil when it cannot be in it (not a canonical integer in an
    /// integer table).
    @inline(__always) @usableFromInline
    func probe(of key: UnsafeRawBufferPointer) -> Probe? {
        switch header.kind {
        case .text: return Probe(hash: NameHash.hash(key), value: 0)
        case .integer: return CanonicalInteger.parse(key).map { Probe(hash: NameHash.hash(integer: $0), value: $0) }
        }
    }

    /// As ``find(_:)``, with the key already read (``probe(of:)``): an integer key is not parsed again.
    @inline(__always) @usableFromInline
    func find(_ key: UnsafeRawBufferPointer, probe: Probe) -> Int? {
        switch header.kind {
        case .text: return find(text: key, hash: probe.hash)
        case .integer: return find(integer: probe.value, hash: probe.hash)
        }
    }

    @inline(__always)
    private func find(text key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        probe(hash) { offset in
            var position = offset
            let count = Varint.read(arena, &position)
            return count == key.count && (count == 0 || memcmp(arena + position, key.baseAddress!, count) == 0)
        }
    }

    @inline(__always)
    private func find(integer value: Int64, hash: UInt64) -> Int? {
        probe(hash) { offset in
            var position = offset
            return Varint.readZigZag(arena, &position) == value
        }
    }

    @inline(__always)
    func probe(_ hash: UInt64, matches: (Int) -> Bool) -> Int? {
        KeyTable.probe(buckets: buckets, bucketCount: bucketCount, hash: hash, matches: matches)
    }

    /// Finds the first slot on `hash`'s probe path whose entry `matches`; the arena offset, or nil.
    @inline(__always)
    static func probe(buckets: UnsafeRawPointer, bucketCount count: Int, hash: UInt64, matches: (Int) -> Bool) -> Int? {
        var b = KeyTable.home(hash, bucketCount: count)
        let tag = KeyTable.tag(hash)
        while true {
            let bucket = buckets + b * KeyTable.bucketBytes
            let used = Int(bucket.load(fromByteOffset: KeyTable.usedOffset, as: UInt8.self))
            // Compare all twelve tags at once: a zero byte in (tags ^ broadcast(tag)) is a candidate.
            let low = bucket.loadUnaligned(as: UInt64.self) ^ (0x0101_0101_0101_0101 &* UInt64(tag))
            let high = UInt64(bucket.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) ^ (0x0101_0101 &* UInt64(tag))
            var candidates = KeyTable.zeroBytes(low) | (KeyTable.zeroBytes(high) << 8)
            candidates &= (UInt64(1) << used) &- 1
            while candidates != 0 {
                let slot = candidates.trailingZeroBitCount
                candidates &= candidates &- 1
                let offset = Int(KeyTable.slotOffset(bucket, slot))
                if matches(offset) { return offset }
            }
            if used < KeyTable.slotsPerBucket { return nil }
            b += 1
            if b == count { b = 0 }
        }
    }

    /// One bit per byte of `word` (bit i for byte i) that is zero.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        // Exact test per byte: (b | (b + 0x7f)) has its high bit clear only for b == 0.
        let high = ~(((word & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | word) & 0x8080_8080_8080_8080
        // Gather the eight high bits into the low byte.
        return ((high >> 7) &* 0x0102_0408_1020_4080) >> 56
    }

    @inline(__always)
    static func slotOffset(_ bucket: UnsafeRawPointer, _ slot: Int) -> UInt32 {
        UInt32(littleEndian: bucket.loadUnaligned(fromByteOffset: offsetsOffset + slot * 4, as: UInt32.self))
    }

    /// The home bucket of `hash`: its high bits scaled to `bucketCount`.
    @inline(__always)
    static func home(_ hash: UInt64, bucketCount: Int) -> Int {
        Int(hash.multipliedFullWidth(by: UInt64(bucketCount)).high)
    }

    /// The tag of `hash`: its low byte, never 0 (0 marks an empty slot).
    @inline(__always)
    static func tag(_ hash: UInt64) -> UInt8 {
        let t = UInt8(truncatingIfNeeded: hash)
        return t == 0 ? 1 : t
    }

    @usableFromInline
    func nameAt(_ offset: Int) -> UnsafeRawBufferPointer {
        var position = offset
        switch header.kind {
        case .text:
            position += Varint.read(arena, &position)
        case .integer:
            _ = Varint.readZigZag(arena, &position)
        }
        let count = Varint.read(arena, &position)
        return UnsafeRawBufferPointer(start: arena + position, count: count)
    }
}

/// LEB128 varints, as the arena stores lengths and integer keys.
enum Varint {
    @inline(__always)
    static func read(_ base: UnsafeRawPointer, _ position: inout Int) -> Int {
        var result = 0
        var shift = 0
        while true {
            let byte = base.load(fromByteOffset: position, as: UInt8.self)
            position += 1
            result |= Int(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    @inline(__always)
    static func readZigZag(_ base: UnsafeRawPointer, _ position: inout Int) -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = base.load(fromByteOffset: position, as: UInt8.self)
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        return Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
    }

    /// Writes `value` at `position`; returns the bytes written.
    @inline(__always)
    @discardableResult
    static func write(_ value: UInt64, _ base: UnsafeMutableRawPointer, _ position: inout Int) -> Int {
        var v = value
        let start = position
        while v >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: position, as: UInt8.self)
            position += 1
            v >>= 7
        }
        base.storeBytes(of: UInt8(v), toByteOffset: position, as: UInt8.self)
        position += 1
        return position - start
    }

    @inline(__always)
    static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }
}
