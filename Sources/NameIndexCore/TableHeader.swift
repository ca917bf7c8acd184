/// The 64-byte header of a ``KeyTable`` image (little-endian):
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 0 | 4 | key kind: 1 text, 2 integer |
/// | 4 | 4 | reserved, 0 |
/// | 8 | 8 | bucket count |
/// | 16 | 8 | arena bytes |
/// | 24 | 8 | entries |
/// | 32 | 8 | key bytes (as text) |
/// | 40 | 8 | name bytes |
/// | 48 | 8 | duplicate rows dropped |
/// | 56 | 8 | reserved, 0 |
struct TableHeader: Equatable {
    static let size = 64

    var kind: KeyTable.KeyKind
    var bucketCount: UInt64
    var arenaBytes: UInt64
    var count: UInt64
    var keyBytes: UInt64
    var nameBytes: UInt64
    var duplicates: UInt64

    func write(to base: UnsafeMutableRawPointer) {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: TableHeader.size)
        base.storeBytes(of: kind.rawValue.littleEndian, toByteOffset: 0, as: UInt32.self)
        for (offset, value) in [(8, bucketCount), (16, arenaBytes), (24, count), (32, keyBytes), (40, nameBytes), (48, duplicates)] {
            base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
        }
    }

    /// Reads a header; nil when the kind is unknown.
    static func read(from base: UnsafeRawPointer) -> TableHeader? {
        func u64(_ offset: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        guard let kind = KeyTable.KeyKind(rawValue: UInt32(littleEndian: base.loadUnaligned(as: UInt32.self))) else { return nil }
        return TableHeader(
            kind: kind, bucketCount: u64(8), arenaBytes: u64(16), count: u64(24), keyBytes: u64(32), nameBytes: u64(40),
            duplicates: u64(48))
    }
}
