import Foundation
import Testing

@testable import NameIndexServer

/// The watchdog's probe of the lookup socket: `+PONG` is healthy; a socket that takes the
/// connection and never answers (a wedged event loop) is not, once the limit has passed.
@Suite struct LookupSocketProbeTests {
    func listeningSocket() throws -> (Int32, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString.prefix(8))").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0 && listen(fd, 4) == 0)
        return (fd, path)
    }

    @Test func aSocketThatNeverAnswersFailsTheProbe() async throws {
        let (fd, path) = try listeningSocket()
        defer { close(fd); unlink(path) }
        #expect(await LookupSocketProbe(socketPath: path).ping(within: .milliseconds(200)) == false)
    }

    @Test func pongPassesTheProbeAndANonexistentSocketFailsIt() async throws {
        let (fd, path) = try listeningSocket()
        defer { close(fd); unlink(path) }
        let server = Thread {
            let client = accept(fd, nil, nil)
            var buffer = [UInt8](repeating: 0, count: 64)
            _ = read(client, &buffer, buffer.count)
            _ = write(client, "+PONG\r\n", 7)
            close(client)
        }
        server.start()
        #expect(await LookupSocketProbe(socketPath: path).ping(within: .seconds(30)))
        #expect(await LookupSocketProbe(socketPath: path + "-none").ping(within: .seconds(1)) == false)
    }
}
