#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Page-mapped memory for table buckets and arenas, backed by huge pages where
/// the kernel allows (`MADV_HUGEPAGE`).
///
/// Lookups touch random places in tables of hundreds of megabytes; with 4 KiB
/// pages nearly every one also misses the TLB. Untouched mapped memory costs
/// no resident memory.
enum LargeMemory {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    static func rounded(_ bytes: Int) -> Int { max(pageSize, (bytes + pageSize - 1) / pageSize * pageSize) }

    static let hugePageSize = 2 << 20

    /// Zeroed memory of at least `bytes`; nil when the kernel refuses.
    ///
    /// Blocks of 2 MiB or more start on a 2 MiB boundary, so that huge pages
    /// can back all of them, not only their aligned middle.
    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let size = rounded(bytes)
        guard size >= hugePageSize else { return map(size, flags: 0) }
        guard let raw = map(size + hugePageSize, flags: 0) else { return nil }
        let aligned = alignUp(raw)
        trim(raw, aligned: aligned, size: size, total: size + hugePageSize)
        adviseHugePages(aligned, size)
        return aligned
    }

    /// Reserves `bytes` of address space aligned to 2 MiB, inaccessible (`PROT_NONE`) until
    /// ``commit(_:from:to:)`` makes a prefix of it usable; for an arena that grows in place.
    ///
    /// An inaccessible private mapping is not charged against the commit limit, so reserving
    /// 4 GiB works under `vm.overcommit_memory=2` too; each commit is charged when it is
    /// made, and fails then (an error, not a crash on first touch) when memory is short.
    static func reserve(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let size = rounded(bytes)
        guard let pointer = mmap(nil, size + hugePageSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            pointer != MAP_FAILED
        else { return nil }
        let aligned = alignUp(pointer)
        trim(pointer, aligned: aligned, size: size, total: size + hugePageSize)
        return aligned
    }

    /// Makes bytes `old..<new` of a block from ``reserve(_:)`` readable and writable (rounded
    /// to pages); false when the kernel refuses to charge them.
    static func commit(_ pointer: UnsafeMutableRawPointer, from old: Int, to new: Int) -> Bool {
        let start = old == 0 ? 0 : rounded(old)
        let end = rounded(new)
        guard end > start else { return true }
        guard mprotect(pointer + start, end - start, PROT_READ | PROT_WRITE) == 0 else { return false }
        adviseHugePages(pointer + start, end - start)
        return true
    }

    /// Makes bytes `old..<new` of a block from ``reserve(_:)`` inaccessible again (page
    /// offsets): their contents are dropped and their charge given back, the address space
    /// stays reserved for a later ``commit(_:from:to:)``.
    static func decommit(_ pointer: UnsafeMutableRawPointer, from old: Int, to new: Int) {
        guard new > old else { return }
        _ = mmap(pointer + old, new - old, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0)
    }

    /// Returns the pages of a block from `allocate` or `reserve` beyond `keep` bytes.
    static func shrink(_ pointer: UnsafeMutableRawPointer, from old: Int, to keep: Int) {
        let kept = rounded(keep)
        let total = rounded(old)
        if total > kept { munmap(pointer + kept, total - kept) }
    }

    private static func map(_ size: Int, flags: Int32) -> UnsafeMutableRawPointer? {
        guard let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0),
            pointer != MAP_FAILED
        else { return nil }
        return pointer
    }

    private static func alignUp(_ pointer: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let address = UInt(bitPattern: pointer)
        let aligned = (address + UInt(hugePageSize) - 1) & ~UInt(hugePageSize - 1)
        return UnsafeMutableRawPointer(bitPattern: aligned)!
    }

    /// Unmaps what lies before `aligned` and after `aligned + size` in a mapping of `total` bytes at `raw`.
    private static func trim(_ raw: UnsafeMutableRawPointer, aligned: UnsafeMutableRawPointer, size: Int, total: Int) {
        let head = raw.distance(to: aligned)
        if head > 0 { munmap(raw, head) }
        let tail = total - head - size
        if tail > 0 { munmap(aligned + size, tail) }
    }

    static func free(_ pointer: UnsafeMutableRawPointer?, _ bytes: Int) {
        guard let pointer else { return }
        munmap(pointer, rounded(bytes))
    }

    private static func adviseHugePages(_ pointer: UnsafeMutableRawPointer, _ size: Int) {
        #if os(Linux)
        // Only a hint: without transparent huge pages this does nothing, and that is fine.
        if size >= 2 << 20 { _ = madvise(pointer, size, MADV_HUGEPAGE) }
        #endif
    }
}
