#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory, unmapped when the last user lets go.
///
/// Tables loaded from a snapshot point into the mapping and keep this object
/// alive; when a newer generation replaces them and the last lookup holding the
/// old ``Index`` finishes, the mapping goes away.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let base: UnsafeRawPointer?
    public let count: Int

    /// Maps `path`.
    ///
    /// - Throws: ``SnapshotError`` when the file cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SnapshotError(.unreadable, path: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SnapshotError(.unreadable, path: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw SnapshotError(.unreadable, path: path, "cannot map: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
