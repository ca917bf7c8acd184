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
/// first line). A small max_line_bytes, so that the too-long paths are reached. Every input
/// is read twice: as a load's rows, and as a delta's (key, name, deleted flag, watermark).
func rows(_ format: FileFormat, _ input: UnsafeRawBufferPointer, chunk: Int, beeline: Bool, delta: Bool = false)
    -> ([[UInt8]], SkipCounts, [String])
{
    let rowFormat = RowFormat(
        format: format, header: false, maximumLineBytes: 64, nullValue: beeline && format != .ndjson ? "NULL" : nil)
    let preamble = beeline ? RowStream.Preamble(pattern: try! Regex(#"^[0-9]+: jdbc:[^ ]*> "#), detects: true) : .none
    var stream = RowStream(format: rowFormat, batchRows: 7, label: "fuzz", preamble: preamble, delta: delta)
    var out: [[UInt8]] = []
    var skipped = SkipCounts()
    var notices: [String] = []
    var largest: String?
    func take(_ batch: RowBatch?) {
        guard let batch else { return }
        if delta {
            batch.forEachDeltaRow { key, name, watermark in
                out.append(Array(key))
                out.append(Array(name))
                out.append(Array(watermark))
            }
            // Per batch, and batches end where chunks do: compare the largest over all of them.
            if let mark = batch.maximumWatermark { largest = Watermark.later(largest, String(decoding: mark, as: UTF8.self)) }
        } else {
            batch.forEach { key, name in
                out.append(Array(key))
                out.append(Array(name))
            }
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
    if let largest { out.append(Array(largest.utf8)) }
    return (out, skipped, notices)
}

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    guard data.count >= 1 else { return }
    let format = FileFormat.allCases[Int(data[0] % 3)]
    let chunk = Int(data[0] / 3 % 13) + 1
    let beeline = data[0] >= 128
    let input = UnsafeRawBufferPointer(rebasing: data.dropFirst())
    for delta in [false, true] {
        let whole = rows(format, input, chunk: Int.max, beeline: beeline, delta: delta)
        let pieces = rows(format, input, chunk: chunk, beeline: beeline, delta: delta)
        fuzzCheck(
            whole.0 == pieces.0 && whole.1 == pieces.1 && whole.2 == pieces.2,
            "\(format) \(delta ? "delta " : "")rows differ with chunks of \(chunk) bytes")
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
