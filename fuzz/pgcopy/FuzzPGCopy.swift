// The targets reach internal API with @testable import, which only a debug build allows
// (scripts/fuzz builds debug with the sanitizer); a release build gets a stub that says so.
#if DEBUG
import Foundation
import FuzzSupport
import NameIndexCore
@testable import NameIndexSources

/// PostgreSQL's binary COPY stream (what a server, or something posing as one, sends): any
/// bytes give rows and counted skips or a SourceError, never a crash; and the same outcome
/// whatever the message boundaries. The first byte picks the key type, full load or delta
/// (four columns), and the message size.
func parse(_ input: UnsafeRawBufferPointer, key: PostgresBinaryCopy.KeyType, delta: Bool, chunk: Int) -> ([[UInt8]], SkipCounts, Bool) {
    var parser = PostgresBinaryCopy(keyType: key, delta: delta, maximumFieldBytes: 256)
    var batch = RowBatch()
    var offset = 0
    var failed = false
    while offset < input.count && !failed {
        let end = min(input.count, offset + chunk)
        do { try parser.feed(UnsafeRawBufferPointer(rebasing: input[offset..<end]), into: &batch) } catch { failed = true }
        offset = end
    }
    if !failed { failed = (try? parser.finish()) == nil }
    var out: [[UInt8]] = []
    batch.forEachDeltaRow { key, name, watermark in
        out.append(Array(key))
        out.append(Array(name))
        out.append(Array(watermark))
    }
    if let mark = batch.maximumWatermark { out.append(mark) }
    return (out, batch.skipped, failed)
}

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    guard data.count >= 1 else { return }
    let key: PostgresBinaryCopy.KeyType = data[0] & 1 == 0 ? .text : .int8
    let delta = data[0] & 2 != 0
    let chunk = Int(data[0] >> 2 % 17) + 1
    let input = UnsafeRawBufferPointer(rebasing: data.dropFirst())
    let whole = parse(input, key: key, delta: delta, chunk: Int.max)
    let pieces = parse(input, key: key, delta: delta, chunk: chunk)
    // A failure may come after different rows; a success must be the same whatever the chunks.
    fuzzCheck(whole.2 == pieces.2, "the outcome differs with messages of \(chunk) bytes")
    if !whole.2 { fuzzCheck(whole.0 == pieces.0 && whole.1 == pieces.1, "rows differ with messages of \(chunk) bytes") }
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
