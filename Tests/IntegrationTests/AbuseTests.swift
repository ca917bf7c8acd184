#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

/// The real daemon attacked the way a careless program or a hostile local user would:
/// thousands of half-sent requests on both sockets, and clients that pipeline requests for
/// large replies and never read. It keeps serving others, its memory stays bounded, and it
/// drops the half-sent requests at `request_timeout`. Each phase waits for an event (a reply,
/// a close), never for a time to pass.
@Suite(.serialized) struct AbuseTests {
    static let names = (0..<1000).map { "\($0)\t" + String(repeating: "n", count: 1000) + "\n" }.joined()

    static func daemon(requestTimeout: String) throws -> DaemonHarness {
        try DaemonHarness(
            configuration: """
                [daemon]
                request_timeout = "\(requestTimeout)"

                [[source]]
                name = "users"
                namespace = "user"
                kind = "file"
                path = "users.tsv"
                """,
            files: ["users.tsv": names])
    }

    static func raiseDescriptorLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// A request as Redis clients send it (inline requests stop at 64 KiB).
    static func multibulk(_ arguments: [String]) -> String {
        "*\(arguments.count)\r\n" + arguments.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    /// The daemon's resident memory, from /proc.
    static func residentBytes(_ pid: Int32) -> Int {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// ``pingAnswered(_:)`` off the cooperative pool.
    static func ping(_ daemon: DaemonHarness) async throws -> Bool {
        let path = daemon.runtimeDirectory + "/lookup"
        return try await offPool { try pingAnswered(path) }
    }

    /// A `PING` on a fresh lookup connection is answered.
    static func pingAnswered(_ path: String) throws -> Bool {
        let socket = try RawSocket(path: path)
        // Under load a debug build may take seconds; the question is whether it answers.
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(socket.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        socket.send("PING\r\n")
        var reply = [UInt8](repeating: 0, count: 7)
        var got = 0
        while got < 7 {
            let n = reply.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress! + got, 7 - got, 0) }
            if n <= 0 { return false }
            got += n
        }
        return reply.elementsEqual("+PONG\r\n".utf8)
    }

    /// A line of a helper's standard output (nil at its end), off the cooperative pool.
    static func line(from pipe: Pipe) async throws -> String? {
        try await offPool {
            var bytes: [UInt8] = []
            while true {
                let chunk = pipe.fileHandleForReading.readData(ofLength: 1)
                if chunk.isEmpty { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
                if chunk[chunk.startIndex] == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
                bytes.append(chunk[chunk.startIndex])
            }
        }
    }

    @Test func twoThousandHalfSentRequestsOnEachSocketAreDroppedAndOthersServed() async throws {
        let daemon = try Self.daemon(requestTimeout: "5s")
        try await daemon.start()
        let pid = daemon.process.processIdentifier
        let before = Self.residentBytes(pid)
        // The 4,000 connections are held by a helper process (Scripts/half_sent.py), so that
        // this process, where other tests spawn programs meanwhile, keeps few descriptors.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "python3", Products.packageRoot.appendingPathComponent("Tests/IntegrationTests/Scripts/half_sent.py").path,
            daemon.runtimeDirectory + "/lookup", daemon.socketPath, "2000",
        ]
        let out = Pipe()
        holder.standardOutput = out
        holder.standardInput = FileHandle.nullDevice
        try holder.run()
        defer { if holder.isRunning { holder.terminate() } }
        #expect(try await Self.line(from: out) == "ready")
        // Meanwhile everyone else is served.
        let started = ContinuousClock.now
        let status = try await daemon.client.status()
        let statusTook = ContinuousClock.now - started
        #expect(status.generation == 1)
        #expect(try await Self.ping(daemon))
        #expect(try daemon.namectl(["get", "user", "7"]).status == 0)
        let during = Self.residentBytes(pid)
        print("abuse: 4,000 half-sent requests: Status answered in \(statusTook); RSS \(before / 1_048_576) → \(during / 1_048_576) MiB")
        #expect(during - before < 256 << 20, "RSS grew from \(before) to \(during) bytes")
        // Each is closed by the daemon once request_timeout has passed (the helper's recv returns at the close).
        #expect(try await Self.line(from: out) == "closed 4000")
        #expect(daemon.log.contains("Closing a lookup connection: a request begun was not completed within request_timeout"))
        #expect(daemon.log.contains("Closing a control connection: no complete message within request_timeout"))
        // Rate-limited: a few lines for thousands of closes.
        #expect(daemon.log.components(separatedBy: "Closing a lookup connection").count < 50)
        #expect(try await Self.ping(daemon))
        try await daemon.stop()
    }

    @Test func twentyClientsPipeliningWithoutReadingCannotGrowTheDaemonWithoutBound() async throws {
        Self.raiseDescriptorLimit()
        let daemon = try Self.daemon(requestTimeout: "10s")
        try await daemon.start()
        let pid = daemon.process.processIdentifier
        let before = Self.residentBytes(pid)
        // One HMGET of 200,000 keys (200 MB of names in one reply), then 100,000 HGETs of 1 KB
        // names: 300 MB of replies per client, 6 GB for the twenty, if nothing held it back.
        let hmget = Self.multibulk(["HMGET", "user"] + (0..<200_000).map { String($0 % 1000) })
        let requests = Array((hmget + (0..<100_000).map { "HGET user \($0 % 1000)\r\n" }.joined()).utf8)
        var clients: [RawSocket] = []
        for _ in 0..<20 {
            let client = try RawSocket(path: daemon.runtimeDirectory + "/lookup")
            _ = fcntl(client.fd, F_SETFL, fcntl(client.fd, F_GETFL) | O_NONBLOCK)
            clients.append(client)
        }
        // Write until the daemon stops taking bytes: each round writes until EAGAIN, then a
        // PING on another connection lets the event loop take its turn; when a whole round
        // after that takes nothing more from anyone, the daemon has stopped reading them.
        var sent = [Int](repeating: 0, count: clients.count)
        var rounds = 0
        while rounds < 1000 {
            rounds += 1
            var progress = false
            for (i, client) in clients.enumerated() where sent[i] < requests.count {
                while sent[i] < requests.count {
                    let n = requests[sent[i]...].withUnsafeBytes { Glibc.send(client.fd, $0.baseAddress, min($0.count, 65536), Int32(MSG_NOSIGNAL)) }
                    guard n > 0 else { break }
                    sent[i] += n
                    progress = true
                }
            }
            #expect(try await Self.ping(daemon))
            if !progress && rounds > 1 { break }
        }
        #expect(sent.allSatisfy { $0 < requests.count }, "the daemon stopped reading before all was sent: \(sent)")
        let during = Self.residentBytes(pid)
        print("abuse: 20 clients that never read, \(sent.reduce(0, +) / 1_048_576) MiB of requests taken: RSS \(before / 1_048_576) → \(during / 1_048_576) MiB")
        #expect(during - before < 20 * (20 << 20), "RSS grew from \(before) to \(during) bytes")
        // Others are served meanwhile.
        #expect(try await daemon.client.status().generation == 1)
        #expect(try await Self.ping(daemon))
        clients.removeAll()
        #expect(try await Self.ping(daemon))
        try await daemon.stop()
    }

    /// A request whose reply would be 200 MB gets the limit's error, not 200 MB.
    @Test func aRequestForAHugeReplyGetsAnError() async throws {
        let daemon = try Self.daemon(requestTimeout: "10s")
        try await daemon.start()
        let client = try RawSocket(path: daemon.runtimeDirectory + "/lookup")
        client.send(Self.multibulk(["HMGET", "user"] + (0..<200_000).map { String($0 % 1000) }) + "PING\r\n")
        let fd = client.fd
        let reply = try await offPool {
            var reply: [UInt8] = []
            var byte: UInt8 = 0
            while !reply.suffix(7).elementsEqual("+PONG\r\n".utf8) && recv(fd, &byte, 1, 0) == 1 { reply.append(byte) }
            return reply
        }
        #expect(String(decoding: reply, as: UTF8.self) == "-ERR reply exceeds the lookup socket's limit of 16777216 bytes; ask for fewer keys\r\n+PONG\r\n")
        try await daemon.stop()
    }
}
