// The targets reach internal API with @testable import, which only a debug build allows
// (scripts/fuzz builds debug with the sanitizer); a release build gets a stub that says so.
#if DEBUG
import Foundation
import FuzzSupport
import NIOCore
import NIOEmbedded
import NameIndexCore
import NameIndexProtocol

@testable import NameIndexServer

/// The RESP parser and connection handler: any bytes get replies and at most a close, never
/// a crash; and the replies are the same whether the bytes come in one read or in pieces.
let store: Store = {
    let users = KeyTableBuilder()
    for (key, name) in [("42", "Zoë Martin"), ("7", "Ada"), ("x-1", "Grace"), ("", "")] where !key.isEmpty {
        try! users.insert(key: key, name: name)
    }
    var index = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
    index.add(source: "users", namespace: "user", table: users.build())
    return Store(index: index.build())
}()

func replies(_ input: UnsafeRawBufferPointer, piece: Int) -> [UInt8] {
    let state = LookupServerState(counters: LookupCounters(), maximumConnections: 10)
    let channel = EmbeddedChannel(
        handler: RESPConnectionHandler(
            store: store, server: state,
            parser: RESPRequestParser(maximumRequestBytes: 1 << 16, maximumArguments: 1024)))
    _ = try? channel.connect(to: try! SocketAddress(unixDomainSocketPath: "/tmp/fuzz")).wait()
    var offset = 0
    var out: [UInt8] = []
    while offset < input.count && channel.isActive {
        let end = min(input.count, offset + piece)
        try? channel.writeInbound(ByteBuffer(bytes: input[offset..<end]))
        offset = end
    }
    while let buffer = try? channel.readOutbound(as: ByteBuffer.self) { out += buffer.readableBytesView }
    _ = try? channel.finish()
    return out
}

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    guard data.count >= 1 else { return }
    let piece = Int(data[0] % 17) + 1
    let input = UnsafeRawBufferPointer(rebasing: data.dropFirst())
    let whole = replies(input, piece: Int.max)
    let split = replies(input, piece: piece)
    // INFO reports the resident memory and uptime, which change between the two runs.
    let lowered = input.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
    let asksInfo = lowered.indices.contains { lowered[$0...].starts(with: Array("info".utf8)) }
    fuzzCheck(asksInfo || whole == split, "replies differ with reads of \(piece) bytes")
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 { fuzzInput(data, size, fuzzOne) }
#else
@main struct Replay { static func main() { replayMain(fuzzOne) } }
#endif
#else
import FuzzSupport

@main struct ReleaseStub { static func main() { releaseStub() } }
#endif
