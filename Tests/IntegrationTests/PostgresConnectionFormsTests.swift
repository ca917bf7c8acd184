import Foundation
import NameIndexCore
import NameIndexSources
import Testing

/// `url` goes to libpq as it is, so every form of connection string users have works.
@Suite(.serialized) struct PostgresConnectionFormsTests {
    let server: PostgresServer
    let directory: URL

    init() throws {
        server = try PostgresServer.get()
        try server.psql("DROP TABLE IF EXISTS forms; CREATE TABLE forms(id int, name text); INSERT INTO forms VALUES (1, 'one'), (2, 'two');")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nameindex-pgforms-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func rows(_ url: String) async throws -> [[String]] {
        let source = PostgresSource(
            name: "f", namespace: "n", url: try PostgresConnectionString(url), query: "SELECT id, name FROM forms")
        return sortedRows(try await fetchAll(source, partitions: 1).rows)
    }

    static let expected = [["1", "one"], ["2", "two"]]

    @Test func keyValuePairs() async throws {
        #expect(try await rows("host=\(server.socketDirectory) user=\(server.superuser) dbname=postgres") == Self.expected)
    }

    @Test func twoHostsWhereTheFirstIsDown() async throws {
        #expect(try await rows("host=/nonexistent-nameindex-dir,\(server.socketDirectory) user=\(server.superuser) dbname=postgres") == Self.expected)
    }

    @Test func aPasswordFromPgpass() async throws {
        let passfile = directory.appendingPathComponent("pgpass").path
        try "*:*:*:secret_reader:hunter2 with spaces\n".write(toFile: passfile, atomically: true, encoding: .utf8)
        chmod(passfile, 0o600)
        #expect(try await rows("postgresql://secret_reader@/postgres?host=\(server.socketDirectory)&passfile=\(passfile)") == Self.expected)
    }

    @Test func aServiceFromPgServiceConf() async throws {
        let file = directory.appendingPathComponent("pg_service.conf").path
        try "[nameindex_forms]\nhost=\(server.socketDirectory)\nuser=\(server.superuser)\ndbname=postgres\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        // PGSERVICEFILE goes to a daemon of its own: a setenv here would race with the other
        // tests spawning processes (Foundation's Process copies environ while it changes).
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "forms"
            namespace = "n"
            kind = "postgresql"
            url = "service=nameindex_forms"
            query = "SELECT id, name FROM forms"
            """)
        try await daemon.start(environment: ["PGSERVICEFILE": file])
        let found = try daemon.namectl(["get", "n", "1", "2"])
        _ = try await daemon.stop()
        #expect(found.stdout == "1\tone\n2\ttwo\n")
    }

    @Test func aPasswordInTheURLIsRefused() throws {
        #expect(throws: SourceError.self) { try PostgresConnectionString("postgresql://u:secret@db/app") }
        #expect(throws: SourceError.self) { try PostgresConnectionString("host=db password=secret") }
        #expect(throws: SourceError.self) { try PostgresConnectionString("mysql://u@db/app") }
        #expect(try PostgresConnectionString("host=db dbname=app").settings["dbname"] == "app")
    }
}
