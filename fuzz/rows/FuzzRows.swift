// The targets reach internal API with @testable import, which only a debug build allows
// (scripts/fuzz builds debug with the sanitizer); a release build gets a stub that says so.
#if DEBUG
import Foundation
import FuzzSupport
import NameIndexCore
@testable import NameIndexSources

/// The TSV, CSV and NDJSON parsers: any bytes give rows and counted skips, never a crash;
/// and the same ones whatever the chunking. The first byte picks the format and the chunk
/// size, and a small max_line_bytes so that the too-long paths are reached.
func rows(_ format: FileFormat, _ input: UnsafeRawBufferPointer, chunk: Int) -> ([[UInt8]], SkipCounts) {
    var stream = RowFormat(format: format, header: false, maximumLineBytes: 64).makeParser()
    var batch = RowBatch()
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + chunk)
        try? stream.feed(UnsafeRawBufferPointer(rebasing: input[offset..<end]), into: &batch)
        offset = end
    }
    try? stream.finish(into: &batch)
    var out: [[UInt8]] = []
    batch.forEach { key, name in
        out.append(Array(key))
        out.append(Array(name))
    }
    return (out, batch.skipped)
}

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    guard data.count >= 1 else { return }
    let format = FileFormat.allCases[Int(data[0] % 3)]
    let chunk = Int(data[0] / 3 % 13) + 1
    let input = UnsafeRawBufferPointer(rebasing: data.dropFirst())
    let whole = rows(format, input, chunk: Int.max)
    let pieces = rows(format, input, chunk: chunk)
    fuzzCheck(whole.0 == pieces.0 && whole.1 == pieces.1, "\(format) rows differ with chunks of \(chunk) bytes")
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
