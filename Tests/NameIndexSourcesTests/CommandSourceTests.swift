#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexCore
@testable import NameIndexSources
import Testing

/// Live (not zombie) processes whose process group is `group`, from /proc.
func liveProcesses(inGroup group: Int32) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/stat"),
            let data = try? handle.readToEnd()
        else { return false }
        try? handle.close()
        let text = String(decoding: data, as: UTF8.self)
        // "pid (comm) state ppid pgrp ...": split after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return false }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 2 && fields[0] != "Z" && Int32(fields[2]) == group
    }
}

@Suite struct CommandSourceTests {
    @Test func theCheckCommandsOutputIsTheChangeToken() async throws {
        var source = CommandSource(name: "s", namespace: "n", arguments: ["true"], rows: RowFormat())
        #expect(try await source.changeToken() == nil)
        source.checkCommand = ["printf", "2026-11-28\\tx y\\n\\nsecond line\\n"]
        #expect(try await source.changeToken() == "2026-11-28\nsecond line")
        source.checkCommand = ["sh", "-c", "echo broken >&2; exit 3"]
        await #expect(throws: SourceError.self) { try await source.changeToken() }
    }

    func rows(_ source: CommandSource) async throws -> [[String]] {
        var rows: [[String]] = []
        try await source.fetch(.whole) { batch in
            batch.forEach { k, n in rows.append([String(decoding: k, as: UTF8.self), String(decoding: n, as: UTF8.self)]) }
        }
        return rows
    }

    @Test func readsWhatARealSQLCLIPrints() async throws {
        let path = try makeSQLiteDatabase("CREATE TABLE t(id INTEGER, name TEXT); INSERT INTO t VALUES (42, 'Zoë Martin'), (7, '王小明');")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tsv = CommandSource(
            name: "c", namespace: "n", arguments: ["sqlite3", "-separator", "\t", path, "SELECT id, name FROM t ORDER BY id"],
            rows: RowFormat())
        #expect(try await rows(tsv) == [["7", "王小明"], ["42", "Zoë Martin"]])
        let csv = CommandSource(
            name: "c", namespace: "n", arguments: ["/usr/bin/sqlite3", "-csv", "-header", path, "SELECT name AS label, id FROM t"],
            rows: RowFormat(format: .csv, header: true, keyColumn: .name("id"), nameColumn: .name("label")))
        #expect(Set(try await rows(csv).map { $0[0] }) == ["42", "7"])
    }

    @Test func endsWhenTheProgramExitsThoughWhatItLeftRunningHoldsTheOutputOpen() async throws {
        // The background sleep keeps the pipe's write end: no end of file until the group is killed.
        let source = CommandSource(
            name: "s", namespace: "n", arguments: ["sh", "-c", "sleep 600 & printf '1\\tone\\n2\\ttwo\\n'"], rows: RowFormat())
        #expect(try await rows(source) == [["1", "one"], ["2", "two"]])
    }

    @Test func aProgramThatWritesARowAtATimeDeliversEveryRow() async throws {
        // A row per write, with pauses between some, as beeline writes.
        let script = "for i in $(seq 1 3000); do printf '%s\\tname %s\\n' $i $i; [ $((i % 500)) = 0 ] && sleep 0.05; done"
        let source = CommandSource(name: "s", namespace: "n", arguments: ["sh", "-c", script], rows: RowFormat())
        #expect(try await rows(source) == (1...3000).map { ["\($0)", "name \($0)"] })
    }

    @Test func readsOfASlowProgramWaitLongerAndThoseOfAFastOneNever() {
        var slow = ReadCoalescer(pipeBytes: 65536)
        var pauses: [Duration?] = []
        for _ in 0..<8 { pauses.append(slow.pause(after: 100)) }
        #expect(pauses == [.milliseconds(1), .milliseconds(2), .milliseconds(4), .milliseconds(8), .milliseconds(16),
                           .milliseconds(32), .milliseconds(50), .milliseconds(50)])
        // A read between a quarter and three quarters full keeps the pause; a fuller one halves it.
        #expect(slow.pause(after: 30000) == .milliseconds(50))
        #expect(slow.pause(after: 60000) == .milliseconds(25))
        var fast = ReadCoalescer(pipeBytes: 65536)
        #expect(fast.pause(after: 65536) == nil)
        #expect(fast.pause(after: 50000) == nil)
        _ = fast.pause(after: 0)
        #expect(fast.pause(after: 65536) == nil)
    }

    @Test func substitutesThePartitionIntoTheArguments() {
        let source = CommandSource(
            name: "c", namespace: "n",
            arguments: ["beeline", "-e", "SELECT id, name FROM t WHERE pmod(hash(id), {partitions}) = {partition}"], rows: RowFormat())
        #expect(source.argv(for: Partition(index: 2, of: 7))[2] == "SELECT id, name FROM t WHERE pmod(hash(id), 7) = 2")
    }

    @Test func aFailingCommandFailsWithTheEndOfItsStandardError() async {
        var source = CommandSource(
            name: "c", namespace: "n",
            arguments: ["sh", "-c", "echo 1\tone; for i in 1 2 3 4 5 6 7; do echo line $i >&2; done; echo 'Error: Table not found: users' >&2; exit 3"],
            rows: RowFormat())
        source.stderrLines = 3
        await #expect {
            try await source.fetch(.whole) { _ in }
        } throws: { error in
            (error as? SourceError)?.message == "command 'sh' failed (exited(3)): line 6\nline 7\nError: Table not found: users"
        }
    }

    @Test func aMissingProgramIsAnError() async {
        let source = CommandSource(name: "c", namespace: "n", arguments: ["/nonexistent/beeline"], rows: RowFormat())
        await #expect(throws: SourceError.self) { try await source.fetch(.whole) { _ in } }
    }

    @Test func cancellingKillsTheWholeProcessGroup() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-pid-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        // The shell starts two sleepers of its own and waits: a warehouse client that hangs.
        let source = CommandSource(
            name: "c", namespace: "n", arguments: ["sh", "-c", "echo $$ > \(marker); sleep 300 & sleep 300 & wait"], rows: RowFormat())
        let task = Task { try await source.fetch(.whole) { _ in } }
        var group: Int32?
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: marker, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                liveProcesses(inGroup: pid).count >= 3
            {
                group = pid
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let pgid = try #require(group, "the command did not start its processes")
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        var left = liveProcesses(inGroup: pgid)
        for _ in 0..<100 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(20))
            left = liveProcesses(inGroup: pgid)
        }
        #expect(left.isEmpty, "processes of the group survived: \(left)")
    }
}

@Suite struct StderrTailTests {
    @Test func keepsTheErrorLineAndLeavesOutStackFrames() {
        var tail = StderrTail(lines: 3)
        let text = """
            WARNING: Using incubator modules
            Error: HiveSQLException: [TABLE_OR_VIEW_NOT_FOUND] The table `missing` cannot be found.
            Search path: [default].
            \tat org.apache.spark.Foo.bar(Foo.scala:1)
            Caused by: AnalysisException: [TABLE_OR_VIEW_NOT_FOUND]
            one
            two
            \tat org.apache.spark.Foo.baz(Foo.scala:2)
            \t... 22 more (state=42P01,code=0)

            """
        Array(text.utf8).withUnsafeBytes { tail.append($0) }
        #expect(tail.lines == [
            "Error: HiveSQLException: [TABLE_OR_VIEW_NOT_FOUND] The table `missing` cannot be found.",
            "Caused by: AnalysisException: [TABLE_OR_VIEW_NOT_FOUND]", "one", "two",
        ])
    }

    @Test func withoutAnErrorLineItIsTheLastLines() {
        var tail = StderrTail(lines: 2)
        Array("a\nb\nc\nd".utf8).withUnsafeBytes { tail.append($0) }
        #expect(tail.lines == ["c", "d"])
    }
}
