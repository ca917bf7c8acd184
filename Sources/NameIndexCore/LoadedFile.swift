#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read whole into anonymous memory the daemon owns, freed when the last user lets go.
///
/// Tables loaded from a snapshot point into this memory and keep the object alive; when a
/// newer generation replaces them and the last lookup holding the old ``Index`` finishes,
/// the memory goes back.
///
/// Why a copy and not a mapping of the file: a mapped file that is truncated or rewritten in
/// place while mapped (a full disk, an operator's `cp`, a second daemon) turns the next read
/// of a vanished page into SIGBUS, which kills the daemon in the middle of a lookup. Memory
/// the daemon owns cannot change under it once it is verified. The cost is one sequential
/// read at start, from the page cache when the file was just written.
public final class LoadedFile: @unchecked Sendable {
    public let path: String
    private let memory: UnsafeMutableRawPointer?
    public let count: Int

    /// Reads `path` whole.
    ///
    /// - Throws: ``SnapshotError`` when the file cannot be opened or read, when memory for it
    ///   cannot be had, or when it changes size while being read.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SnapshotError(.unreadable, path: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SnapshotError(.unreadable, path: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw SnapshotError(.unreadable, path: path, "not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            memory = nil
            count = 0
            return
        }
        guard let memory = LargeMemory.allocate(size) else {
            throw SnapshotError(.unreadable, path: path, "cannot get \(size) bytes of memory to read it into")
        }
        var done = 0
        while done < size {
            let n = pread(fd, memory + done, min(size - done, 1 << 30), off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = n < 0 ? String(cString: strerror(errno)) : "the file shrank from \(size) to \(done) bytes while being read"
                LargeMemory.free(memory, size)
                throw SnapshotError(n < 0 ? .unreadable : .wrongSize, path: path, "cannot read: \(reason)")
            }
            done += n
        }
        self.memory = memory
        self.count = size
    }

    deinit { LargeMemory.free(memory, count) }

    public var base: UnsafeRawPointer? { memory.map(UnsafeRawPointer.init) }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
