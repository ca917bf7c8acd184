import Foundation
import Testing

@testable import NameIndexServer

/// One daemon per state directory: the second is refused with a clear error, the lock goes
/// with its holder, and a temporary snapshot left by a killed writer is removed.
@Suite struct StateDirectoryLockTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-lock-\(UUID().uuidString.prefix(8))").path

    @Test func aSecondHolderIsRefusedUntilTheFirstLetsGo() async throws {
        let snapshot = directory + "/index.snapshot"
        var first: StateDirectoryLock? = try StateDirectoryLock(directory: directory, snapshotPath: snapshot)
        #expect(first != nil)
        let refusal = #expect(throws: StateDirectoryLock.Refusal.self) { try StateDirectoryLock(directory: directory, snapshotPath: snapshot) }
        guard case .held(let error)? = refusal else {
            Issue.record("not refused as held: \(String(describing: refusal))")
            return
        }
        #expect(error.message.contains("another nameindexd uses the state directory \(directory) (pid \(getpid()))") == true, "\(error)")
        first = nil
        // Free once the last copy of the descriptor is closed: another test's fork may hold one
        // until its child execs (the descriptor is close-on-exec), so wait for that, not a time.
        var second: StateDirectoryLock?
        let deadline = ContinuousClock.now + .seconds(60)
        while second == nil && ContinuousClock.now < deadline {
            second = try? StateDirectoryLock(directory: directory, snapshotPath: snapshot)
            if second == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(second != nil, "the lock was not free after its holder let go")
    }

    @Test func aStaleTemporarySnapshotIsRemovedAndTheRealOneKept() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let snapshot = directory + "/index.snapshot"
        try Data("half written".utf8).write(to: URL(fileURLWithPath: snapshot + ".tmp"))
        try Data("the good one".utf8).write(to: URL(fileURLWithPath: snapshot))
        let lock = try StateDirectoryLock(directory: directory, snapshotPath: snapshot)
        #expect(!FileManager.default.fileExists(atPath: snapshot + ".tmp"))
        #expect(try String(contentsOfFile: snapshot, encoding: .utf8) == "the good one")
        _ = lock
    }
}
