#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An estimate of how many distinct keys a stream of rows holds, in 4 KiB whatever its
/// length: HyperLogLog (Flajolet, Fusy, Gandouet and Meunier, 2007) with 4,096 registers,
/// a standard error of about 1.6 %.
///
/// ``KeyTableBuilder`` keeps one, so that rows whose keys repeat can be noticed while they
/// stream in (and dropped before they fill memory) without holding anything per row.
public final class DistinctEstimate: @unchecked Sendable {  // owned by one builder, or under a lock
    @usableFromInline static let indexBits = 12
    @usableFromInline static let registerCount = 1 << indexBits
    /// Registers written through a pointer: this runs for every row, and an array in a
    /// class would cost a uniqueness and an exclusivity check each time.
    @usableFromInline let registers = UnsafeMutablePointer<UInt8>.allocate(capacity: DistinctEstimate.registerCount)

    public init() { registers.initialize(repeating: 0, count: Self.registerCount) }

    /// A copy of what it counted.
    public func copy() -> DistinctEstimate {
        let other = DistinctEstimate()
        other.registers.update(from: registers, count: Self.registerCount)
        return other
    }

    /// Forgets every key counted.
    public func reset() { registers.initialize(repeating: 0, count: Self.registerCount) }

    deinit { registers.deallocate() }

    /// Counts one key, by its bytes.
    @inline(__always)
    public func add(key: UnsafeRawBufferPointer) { add(Self.hash(key)) }

    /// A quick 64-bit hash of `bytes`, eight at a time: this runs for every row a source
    /// streams, so it is cheaper than ``NameHash`` (it is never stored, so it may change).
    @inlinable @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return 0x9E37_79B9_7F4A_7C15 }
        var h = UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15
        var position = 0
        while position + 8 <= count {
            h = (h ^ base.loadUnaligned(fromByteOffset: position, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            position += 8
        }
        var tail: UInt64 = 0
        if count >= 8 {
            // The last eight bytes, overlapping the words already mixed.
            tail = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 {
            // Two four-byte words, overlapping when fewer than eight: with the length mixed
            // in above, every key of 4 to 7 bytes has its own tail.
            tail = UInt64(base.loadUnaligned(as: UInt32.self))
                | UInt64(base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)) << 32
        } else if count > 0 {
            // The first, middle and last byte: every byte of a key of 1 to 3 bytes.
            tail = UInt64(base.load(as: UInt8.self))
                | UInt64(base.load(fromByteOffset: count / 2, as: UInt8.self)) << 8
                | UInt64(base.load(fromByteOffset: count - 1, as: UInt8.self)) << 16
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return NameHash.finalize(h)
    }

    /// Counts one key, given by its 64-bit hash.
    @inlinable @inline(__always)
    public func add(_ hash: UInt64) {
        let index = Int(truncatingIfNeeded: hash >> UInt64(64 - Self.indexBits))
        // The rank of the rest: its leading zeros plus one (a set bit below them stops the count).
        let rest = (hash << UInt64(Self.indexBits)) | (1 << UInt64(Self.indexBits - 1))
        let rank = UInt8(truncatingIfNeeded: rest.leadingZeroBitCount + 1)
        if registers[index] < rank { registers[index] = rank }
    }

    /// Adds what `other` counted (the estimate of the union).
    public func merge(_ other: DistinctEstimate) {
        for i in 0..<Self.registerCount where other.registers[i] > registers[i] {
            registers[i] = other.registers[i]
        }
    }

    /// The estimated number of distinct keys counted.
    public var estimate: Double {
        let m = Double(Self.registerCount)
        var sum = 0.0
        var zeros = 0
        for i in 0..<Self.registerCount {
            let r = registers[i]
            sum += 1 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let raw = 0.7213 / (1 + 1.079 / m) * m * m / sum
        // Few keys: linear counting of the empty registers is the better estimate.
        if raw <= 2.5 * m && zeros > 0 { return m * log(m / Double(zeros)) }
        return raw
    }
}
