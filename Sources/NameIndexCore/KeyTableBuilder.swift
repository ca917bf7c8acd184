#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a ``KeyTable`` from rows streamed in, one batch at a time.
///
/// Rows are copied straight into the arena; the builder never holds rows in a
/// Swift collection. When a key repeats, the first row wins and the repeat is
/// counted in ``duplicates``.
public final class KeyTableBuilder {
    private var arena: UnsafeMutableRawPointer?
    private var arenaCount = 0
    private var arenaCapacity = 0
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotCount: Int
    private var built = false

    public private(set) var count = 0
    public private(set) var keyBytes = 0
    public private(set) var nameBytes = 0
    public private(set) var duplicates = 0

    /// Creates a builder sized for about `expectedEntries` entries; it grows as needed.
    public init(expectedEntries: Int = 0) {
        var capacity = 16
        while capacity * 3 / 4 < expectedEntries { capacity <<= 1 }
        slotCount = capacity
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
    }

    deinit {
        if !built {
            free(arena)
            slots.deallocate()
        }
    }

    /// Adds every row of `batch`.
    public func add(_ batch: RowBatch) {
        batch.forEach { key, name in insert(key: key, name: name) }
    }

    /// Adds one row; returns false when the key was already present (the row is dropped).
    @discardableResult
    public func insert(key: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) -> Bool {
        precondition(!built, "KeyTableBuilder used after build()")
        precondition(arenaCount + key.count + name.count + 20 < 1 << 40, "key table arena exceeds 1 TiB")
        let hash = NameHash.hash(key)
        if (count + 1) * 4 > slotCount * 3 { grow() }
        let tag = hash >> 40
        var index = Int(truncatingIfNeeded: hash) & (slotCount - 1)
        while true {
            let slot = slots[index]
            if slot == 0 { break }
            if slot >> 40 == tag, let arena {
                let stored = KeyTable.decodeEntry(arena, at: Int(slot & KeyTable.offsetMask) - 1).key
                if stored.count == key.count
                    && (key.count == 0 || memcmp(stored.baseAddress!, key.baseAddress!, key.count) == 0)
                {
                    duplicates += 1
                    return false
                }
            }
            index = (index + 1) & (slotCount - 1)
        }
        let offset = append(key: key, name: name)
        slots[index] = (tag << 40) | UInt64(offset + 1)
        count += 1
        keyBytes += key.count
        nameBytes += name.count
        return true
    }

    /// Adds one row given as strings; for tests and small inputs.
    @discardableResult
    public func insert(key: String, name: String) -> Bool {
        var k = key
        var n = name
        return k.withUTF8 { kb in
            n.withUTF8 { nb in insert(key: UnsafeRawBufferPointer(kb), name: UnsafeRawBufferPointer(nb)) }
        }
    }

    /// Finishes the table. The builder may not be used afterwards.
    public func build() -> KeyTable {
        precondition(!built, "KeyTableBuilder.build() called twice")
        built = true
        if let arena, arenaCount < arenaCapacity {
            // Give back the unused tail of the arena.
            self.arena = realloc(arena, max(arenaCount, 1))
        }
        return KeyTable(
            arena: arena, arenaCount: arenaCount, slots: slots, slotCount: slotCount,
            count: count, keyBytes: keyBytes, nameBytes: nameBytes, duplicates: duplicates)
    }

    private func append(key: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) -> Int {
        let needed = 20 + key.count + name.count
        if arenaCount + needed > arenaCapacity {
            var capacity = max(arenaCapacity, 4096)
            while capacity < arenaCount + needed { capacity = capacity + capacity / 2 }
            guard let grown = realloc(arena, capacity) else { fatalError("out of memory growing a key table arena") }
            arena = grown
            arenaCapacity = capacity
        }
        let base = arena!
        let offset = arenaCount
        var position = offset
        writeVarint(key.count, base, &position)
        if key.count > 0 { (base + position).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        position += key.count
        writeVarint(name.count, base, &position)
        if name.count > 0 { (base + position).copyMemory(from: name.baseAddress!, byteCount: name.count) }
        position += name.count
        arenaCount = position
        return offset
    }

    private func writeVarint(_ value: Int, _ base: UnsafeMutableRawPointer, _ position: inout Int) {
        var v = UInt(value)
        while v >= 0x80 {
            base.storeBytes(of: UInt8(v & 0x7F) | 0x80, toByteOffset: position, as: UInt8.self)
            position += 1
            v >>= 7
        }
        base.storeBytes(of: UInt8(v), toByteOffset: position, as: UInt8.self)
        position += 1
    }

    private func grow() {
        let newCount = slotCount * 2
        let newSlots = UnsafeMutablePointer<UInt64>.allocate(capacity: newCount)
        newSlots.initialize(repeating: 0, count: newCount)
        for i in 0..<slotCount {
            let slot = slots[i]
            if slot == 0 { continue }
            let key = KeyTable.decodeEntry(arena!, at: Int(slot & KeyTable.offsetMask) - 1).key
            var index = Int(truncatingIfNeeded: NameHash.hash(key)) & (newCount - 1)
            while newSlots[index] != 0 { index = (index + 1) & (newCount - 1) }
            newSlots[index] = slot
        }
        slots.deallocate()
        slots = newSlots
        slotCount = newCount
    }
}
