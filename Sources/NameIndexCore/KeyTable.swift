#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One source's rows: an immutable map from key bytes to name bytes.
///
/// Layout: every entry is stored once in a byte arena as
/// `varint(keyCount) key varint(nameCount) name`; an open-addressing table of
/// 64-bit slots (linear probing, a power of two in size, at most 3/4 full)
/// points into the arena. A slot holds `offset + 1` in its low 40 bits and the
/// top 24 bits of the key's ``NameHash`` in its high bits, so most probes that
/// miss never touch the arena. No `String`, class instance or `Dictionary`
/// entry exists per row.
///
/// A table never changes after ``KeyTableBuilder/build()``, so any number of
/// threads may read it without locks.
public final class KeyTable: @unchecked Sendable {
    // Owned memory, freed in deinit; never written after init.
    let arena: UnsafeMutableRawPointer?
    let arenaCount: Int
    let slots: UnsafeMutablePointer<UInt64>
    let slotMask: Int

    /// Entries in the table (distinct keys).
    public let count: Int
    /// Sum of the key bytes of all entries.
    public let keyBytes: Int
    /// Sum of the name bytes of all entries.
    public let nameBytes: Int
    /// Rows that repeated a key already in the table; the first one was kept.
    public let duplicates: Int

    init(
        arena: UnsafeMutableRawPointer?, arenaCount: Int, slots: UnsafeMutablePointer<UInt64>, slotCount: Int,
        count: Int, keyBytes: Int, nameBytes: Int, duplicates: Int
    ) {
        self.arena = arena
        self.arenaCount = arenaCount
        self.slots = slots
        self.slotMask = slotCount - 1
        self.count = count
        self.keyBytes = keyBytes
        self.nameBytes = nameBytes
        self.duplicates = duplicates
    }

    deinit {
        free(arena)
        slots.deallocate()
    }

    /// An empty table.
    public static func empty() -> KeyTable {
        KeyTableBuilder().build()
    }

    /// Bytes of memory the table occupies (arena and slots).
    public var memoryBytes: Int { arenaCount + (slotMask + 1) * MemoryLayout<UInt64>.stride }

    /// The name bytes stored for `key`, or nil.
    ///
    /// The returned buffer points into the table and is valid for as long as
    /// the table is alive; callers hold the table (or the ``Index`` that owns
    /// it) while they read it.
    @inlinable
    public func name(forKey key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let hash = NameHash.hash(key)
        return find(key, hash: hash).map { entryName(at: $0) }
    }

    /// The name for `key`, as a `String`; for clients that want one.
    public func name(forKey key: String) -> String? {
        var k = key
        return k.withUTF8 { buffer in
            name(forKey: UnsafeRawBufferPointer(buffer)).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Whether the table holds `key`.
    public func contains(_ key: UnsafeRawBufferPointer) -> Bool {
        find(key, hash: NameHash.hash(key)) != nil
    }

    /// Calls `body` with every entry's key and name, in arena (insertion) order.
    public func forEachEntry(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let arena else { return }
        var offset = 0
        while offset < arenaCount {
            let (key, name, next) = KeyTable.decodeEntry(arena, at: offset)
            try body(key, name)
            offset = next
        }
    }

    @usableFromInline
    func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        guard let arena else { return nil }
        let tag = hash >> 40
        var index = Int(truncatingIfNeeded: hash) & slotMask
        while true {
            let slot = slots[index]
            if slot == 0 { return nil }
            if slot >> 40 == tag {
                let offset = Int(slot & KeyTable.offsetMask) - 1
                let (storedKey, _, _) = KeyTable.decodeEntry(arena, at: offset)
                if storedKey.count == key.count
                    && (key.count == 0 || memcmp(storedKey.baseAddress!, key.baseAddress!, key.count) == 0)
                {
                    return offset
                }
            }
            index = (index + 1) & slotMask
        }
    }

    @usableFromInline
    func entryName(at offset: Int) -> UnsafeRawBufferPointer {
        KeyTable.decodeEntry(arena!, at: offset).name
    }

    static let offsetMask: UInt64 = (1 << 40) - 1

    @usableFromInline
    static func decodeEntry(_ base: UnsafeRawPointer, at offset: Int)
        -> (key: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer, next: Int)
    {
        var position = offset
        let keyCount = readVarint(base, &position)
        let key = UnsafeRawBufferPointer(start: base + position, count: keyCount)
        position += keyCount
        let nameCount = readVarint(base, &position)
        let name = UnsafeRawBufferPointer(start: base + position, count: nameCount)
        return (key, name, position + nameCount)
    }

    @usableFromInline
    static func readVarint(_ base: UnsafeRawPointer, _ position: inout Int) -> Int {
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
}
