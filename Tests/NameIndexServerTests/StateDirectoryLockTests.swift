import Foundation
import Testing

@testable import NameIndexServer

/// One daemon per state directory: the second is refused with a clear error, the lock goes
/// with its holder, and a temporary snapshot left by a killed writer is removed.
@Suite struct StateDirectoryLockTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-lock-\(UUID().uuidString.prefix(8))").path

    @Test func aSecondHolderIsRefusedUntilTheFirstLetsGo() throws {
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
        #expect(throws: Never.self) { _ = try StateDirectoryLock(directory: directory, snapshotPath: snapshot) }
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
