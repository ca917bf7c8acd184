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
struct DistinctEstimate {
    private static let indexBits = 12
    private static let registerCount = 1 << indexBits
    private var registers = [UInt8](repeating: 0, count: DistinctEstimate.registerCount)

    /// Counts one key, by its bytes.
    @inline(__always)
    mutating func add(key: UnsafeRawBufferPointer) { add(Self.hash(key)) }

    /// A quick 64-bit hash of `bytes`, eight at a time: this runs for every row a source
    /// streams, so it is cheaper than ``NameHash`` (it is never stored, so it may change).
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15
        var position = 0
        while position + 8 <= bytes.count {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            position += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count {
            tail |= UInt64(bytes[position]) << shift
            shift += 8
            position += 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return NameHash.finalize(h)
    }

    /// Counts one key, given by its 64-bit hash.
    @inline(__always)
    mutating func add(_ hash: UInt64) {
        let index = Int(truncatingIfNeeded: hash >> UInt64(64 - Self.indexBits))
        // The rank of the rest: its leading zeros plus one (a set bit below them stops the count).
        let rest = (hash << UInt64(Self.indexBits)) | (1 << UInt64(Self.indexBits - 1))
        let rank = UInt8(truncatingIfNeeded: rest.leadingZeroBitCount + 1)
        registers.withUnsafeMutableBufferPointer { r in
            if r[index] < rank { r[index] = rank }
        }
    }

    /// Adds what `other` counted (the estimate of the union).
    mutating func merge(_ other: DistinctEstimate) {
        for i in 0..<Self.registerCount where other.registers[i] > registers[i] {
            registers[i] = other.registers[i]
        }
    }

    /// The estimated number of distinct keys counted.
    var estimate: Double {
        let m = Double(Self.registerCount)
        var sum = 0.0
        var zeros = 0
        for r in registers {
            sum += 1 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let raw = 0.7213 / (1 + 1.079 / m) * m * m / sum
        // Few keys: linear counting of the empty registers is the better estimate.
        if raw <= 2.5 * m && zeros > 0 { return m * log(m / Double(zeros)) }
        return raw
    }
}
