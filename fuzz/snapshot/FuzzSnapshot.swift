// The targets reach internal API with @testable import, which only a debug build allows
// (scripts/fuzz builds debug with the sanitizer); a release build gets a stub that says so.
#if DEBUG
import Foundation
import FuzzSupport

@testable import NameIndexCore

/// The snapshot reader: any file, as it is and with its checksums recomputed (so that the
/// structural checks are reached), is an index or a SnapshotError; a loaded index answers
/// lookups and scans without reading out of bounds.
let path = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-fuzz-\(getpid()).snapshot").path

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    var bytes = Array(data)
    for round in 0..<2 {
        if round == 1 { bytes.withUnsafeMutableBytes { SnapshotFile.recomputeChecksums($0) } }
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        guard let index = try? SnapshotFile.read(path: path, fingerprint: 7) else { continue }
        for slot in 0..<index.namespaceCount {
            for key in ["0", "42", "-1", "x", ""] { _ = index.lookup(namespace: index.namespaceName(slot: slot), keys: [key]) }
            for layer in index.layers(slot: slot) { layer.forEachEntry { _, _ in } }
        }
    }
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
