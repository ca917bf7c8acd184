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

/// The varlink frame decoder and the control request handler: any bytes give frames, each
/// frame one reply or none (oneway), never a crash. Reload is not called: it would fetch.
let handler: ControlRequestHandler = {
    let users = KeyTableBuilder()
    try! users.insert(key: "42", name: "Zoë Martin")
    var index = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
    index.add(source: "users", namespace: "user", table: users.build())
    return ControlRequestHandler(store: Store(index: index.build()), coordinator: ReloadCoordinator(sources: [], startedAtUSec: 1))
}()

final class Box: @unchecked Sendable { var frames: [ByteBuffer] = [] }

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder(maximumMessageSize: 1 << 16)))
    try? channel.writeInbound(ByteBuffer(bytes: data))
    var frames: [ByteBuffer] = []
    while let frame = try? channel.readInbound(as: ByteBuffer.self) { frames.append(frame) }
    _ = try? channel.finish()
    let box = Box()
    box.frames = frames.filter { !String(buffer: $0).contains("Reload") }
    let done = DispatchSemaphore(value: 0)
    Task {
        for frame in box.frames {
            try? await handler.handle(frame, peer: nil, allocator: ByteBufferAllocator()) { _ in }
        }
        done.signal()
    }
    done.wait()
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
