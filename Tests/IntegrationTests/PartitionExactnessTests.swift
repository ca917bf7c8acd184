#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

@Suite struct PartitionExactnessTests {
    /// The same table through the sqlite kind and through the sqlite3 CLI as a command,
    /// split N ways by rowid: the served rows must be exactly the table's.
    @Test(arguments: [1, 2, 7, 16])
    func everyRowExactlyOnce(_ partitions: Int) async throws {
        let predicate = "WHERE rowid % {partitions} = {partition}"
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "by-sqlite"
                namespace = "a"
                kind = "sqlite"
                path = "t.db"
                query = "SELECT id, name FROM t \(predicate)"
                partitions = \(partitions)

                [[source]]
                name = "by-command"
                namespace = "b"
                kind = "command"
                command = ["sqlite3", "-separator", "\\t", "t.db", "SELECT id, name FROM t \(predicate)"]
                partitions = \(partitions)

                """)
        // ids with gaps, negative ids and text ids; names with non-ASCII characters.
        var expected: [String: String] = [:]
        var sql = "CREATE TABLE t(id, name); BEGIN;"
        for i in 0..<500 {
            let id = i % 10 == 0 ? "'P-\(i)-x'" : "\((i - 250) * 7)"
            let key = i % 10 == 0 ? "P-\(i)-x" : "\((i - 250) * 7)"
            sql += "INSERT INTO t VALUES (\(id), 'Zoë \(i) 🌍');"
            expected[key] = "Zoë \(i) 🌍"
        }
        sql += "COMMIT;"
        #expect(try runProgram("/usr/bin/sqlite3", [daemon.directory.appendingPathComponent("t.db").path, sql]).status == 0)
        try await daemon.start()
        let keys = Array(expected.keys)
        for namespace in ["a", "b"] {
            let reply = try await daemon.client.lookup(namespace: namespace, keys: keys)
            #expect(reply.names == keys.map { expected[$0] }, "namespace \(namespace)")
        }
        let status = try await daemon.client.status()
        #expect(status.sources.map(\.rows) == [500, 500])
        #expect(status.sources.map(\.duplicates) == [0, 0])
        try await daemon.stop()
    }
}
