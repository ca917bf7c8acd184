import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Sockets passed by the service manager (socket activation, `sd_listen_fds(3)`).
public struct ListenFileDescriptors: Sendable {
    /// One passed descriptor and its `FileDescriptorName=`.
    public struct Descriptor: Sendable, Equatable {
        public let fd: Int32
        public let name: String

        public init(fd: Int32, name: String) {
            self.fd = fd
            self.name = name
        }
    }

    public let descriptors: [Descriptor]

    public init(descriptors: [Descriptor]) {
        self.descriptors = descriptors
    }

    /// Takes the descriptors passed to this process and unsets the environment
    /// variables, so children do not inherit them.
    public static func take() -> ListenFileDescriptors {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return ListenFileDescriptors(descriptors: []) }
        var result: [Descriptor] = []
        for i in 0..<Int(count) {
            let name = names?[i].map { String(cString: $0) } ?? "unknown"
            result.append(Descriptor(fd: SD_LISTEN_FDS_START + Int32(i), name: name))
            free(names?[i])
        }
        free(names)
        return ListenFileDescriptors(descriptors: result)
    }

    /// The descriptor passed under `name`, if any.
    public func descriptor(named name: String) -> Int32? {
        descriptors.first { $0.name == name }?.fd
    }

    /// The file system path a passed Unix socket is bound to (`getsockname(2)`), or nil
    /// for another kind of socket or an abstract or unnamed one.
    public static func socketPath(of fd: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        guard Int(length) > pathOffset else { return nil }
        return withUnsafeBytes(of: &address.sun_path) { raw -> String? in
            let bytes = raw.prefix(Int(length) - pathOffset)
            guard let first = bytes.first, first != 0 else { return nil }  // abstract namespace
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
