/// The fixed 64-bit hashes that place keys in a ``KeyTable``.
///
/// Text keys: FNV-1a 64 over the key bytes followed by the `fmix64` finalizer
/// of MurmurHash3, so that every bit of the result depends on every byte.
/// Integer keys: `fmix64(UInt64(bitPattern: id) ^ 0x9E3779B97F4A7C15)`. It is
/// deliberately not Swift's `Hasher`, which is seeded per process: a table laid
/// out by one process must mean the same thing to every other process that
/// reads it. docs/ARCHITECTURE.md documents it; changing it changes the
/// on-disk format.
public enum NameHash {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// Hashes `bytes`.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return finalize(h)
    }

    /// Hashes the UTF-8 bytes of `string`.
    public static func hash(_ string: String) -> UInt64 {
        var copy = string
        return copy.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    /// Hashes an integer key (a table whose keys are all integers).
    @inlinable
    public static func hash(integer value: Int64) -> UInt64 {
        finalize(UInt64(bitPattern: value) ^ 0x9E37_79B9_7F4A_7C15)
    }

    @inlinable
    static func finalize(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}
