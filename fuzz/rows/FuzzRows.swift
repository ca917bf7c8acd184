// The targets reach internal API with @testable import, which only a debug build allows
// (scripts/fuzz builds debug with the sanitizer); a release build gets a stub that says so.
#if DEBUG
import Foundation
import FuzzSupport
import NameIndexCore
@testable import NameIndexSources

/// The TSV, CSV and NDJSON parsers, through the row stream a command's output goes
/// through: any bytes give rows and counted skips, never a crash; and the same ones
/// whatever the chunking. The first byte picks the format and the chunk size; its top bit
/// turns on what a beeline source uses (a `null_value`, a `drop_prefix` and the check of the
/// first line). A small max_line_bytes, so that the too-long paths are reached.
func rows(_ format: FileFormat, _ input: UnsafeRawBufferPointer, chunk: Int, beeline: Bool) -> ([[UInt8]], SkipCounts, [String]) {
    let rowFormat = RowFormat(
        format: format, header: false, maximumLineBytes: 64, nullValue: beeline && format != .ndjson ? "NULL" : nil)
    let preamble = beeline ? RowStream.Preamble(pattern: try! Regex(#"^[0-9]+: jdbc:[^ ]*> "#), detects: true) : .none
    var stream = RowStream(format: rowFormat, batchRows: 7, label: "fuzz", preamble: preamble)
    var out: [[UInt8]] = []
    var skipped = SkipCounts()
    var notices: [String] = []
    func take(_ batch: RowBatch?) {
        guard let batch else { return }
        batch.forEach { key, name in
            out.append(Array(key))
            out.append(Array(name))
        }
        skipped += batch.skipped
        notices += batch.notices
    }
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + chunk)
        take(try? stream.parse(UnsafeRawBufferPointer(rebasing: input[offset..<end])))
        offset = end
    }
    take(try? stream.finish())
    return (out, skipped, notices)
}

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    guard data.count >= 1 else { return }
    let format = FileFormat.allCases[Int(data[0] % 3)]
    let chunk = Int(data[0] / 3 % 13) + 1
    let beeline = data[0] >= 128
    let input = UnsafeRawBufferPointer(rebasing: data.dropFirst())
    let whole = rows(format, input, chunk: Int.max, beeline: beeline)
    let pieces = rows(format, input, chunk: chunk, beeline: beeline)
    fuzzCheck(
        whole.0 == pieces.0 && whole.1 == pieces.1 && whole.2 == pieces.2,
        "\(format) rows differ with chunks of \(chunk) bytes")
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
