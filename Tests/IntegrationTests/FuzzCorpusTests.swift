import Foundation
import Testing

/// Every fuzz target's corpus (the seeds and each crash ever found) replayed through the
/// ordinary build of its target: a crash fixed stays fixed. The fuzzing itself is
/// scripts/fuzz, which .ci/run runs for each target.
@Suite struct FuzzCorpusTests {
    @Test(arguments: ["resp", "varlink", "rows", "config", "snapshot", "pgcopy"])
    func theCorpusReplaysWithoutACrash(target: String) throws {
        let program = Products.directory.appendingPathComponent("fuzz-\(target)").path
        let corpus = Products.packageRoot.appendingPathComponent("fuzz/corpus/\(target)").path
        let inputs = try FileManager.default.contentsOfDirectory(atPath: corpus).count
        #expect(inputs >= 1)
        let result = try runProgram(program, [corpus], environment: ["SWIFT_BACKTRACE": "enable=no"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("replayed \(inputs) inputs"), "\(result.stdout)")
    }
}
