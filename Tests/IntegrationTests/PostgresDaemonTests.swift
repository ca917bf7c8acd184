import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

/// The postgresql kind in the running daemon: faults, passwords, and what status says.
@Suite(.serialized) struct PostgresDaemonTests {
    let server: PostgresServer

    init() throws {
        server = try PostgresServer.get()
    }

    /// 40,000 users, and a gate that sleeps at user 30,000 while the file `nameindex_gate_armed`
    /// is in the server's data directory. (A file, not a table or a sequence: a retry reads the
    /// same snapshot, in which a table would still say "armed", in a read-only transaction,
    /// where nextval is refused.)
    func armGate() throws {
        try server.psql("""
            DROP TABLE IF EXISTS fault_users;
            CREATE TABLE fault_users AS SELECT g::bigint AS id, 'user ' || g || ' é' AS name FROM generate_series(1, 40000) g;
            CREATE OR REPLACE FUNCTION nameindex_gate(id bigint) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
              IF id = 30000 AND (pg_stat_file('nameindex_gate_armed', true)).size IS NOT NULL THEN PERFORM pg_sleep(120); END IF;
              RETURN true;
            END $$;
            """)
        FileManager.default.createFile(atPath: gateFile, contents: Data())
    }

    var gateFile: String { server.directory + "/data/nameindex_gate_armed" }

    /// Every key and name of a namespace, looked up in the running daemon.
    func lookupAll(_ daemon: DaemonHarness, namespace: String, keys: [String]) async throws -> [String?] {
        var names: [String?] = []
        for chunk in stride(from: 0, to: keys.count, by: 5000) {
            let reply = try await daemon.client.lookup(namespace: namespace, keys: Array(keys[chunk..<min(chunk + 5000, keys.count)]))
            names += reply.names
        }
        return names
    }

    @Test func aPartitionWhoseConnectionIsKilledMidStreamIsRetriedAndTheIndexIsExact() async throws {
        // The gate sleeps at one row the first time only: the partition has streamed rows and is
        // then cut off. (A sequence, not a table: the retry reads the same snapshot, in which a
        // table would still say "armed".)
        try armGate()
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "postgresql"
            url = "\(server.url())"
            query = "SELECT id, name FROM fault_users WHERE {partition_filter} AND nameindex_gate(id) ORDER BY id"
            partition_by = "hash"
            partition_key = "id"
            partitions = 4
            retries = 2
            retry_delay = "100ms"
            """)
        try daemon.launch()
        // Wait for the gated partition to sleep, then kill its connection and disarm the gate.
        var killed = false
        for _ in 0..<200 where !killed {
            let out = try server.psql("""
                SELECT count(*) FROM pg_stat_activity WHERE application_name = 'nameindexd' AND wait_event = 'PgSleep'
                """)
            if out.trimmingCharacters(in: .whitespacesAndNewlines) == "1" {
                try FileManager.default.removeItem(atPath: gateFile)
                let terminated = try server.psql("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'nameindexd' AND wait_event = 'PgSleep';
                    """)
                killed = terminated.contains("t")
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(killed)
        try await daemon.waitUntilLoaded()
        let status = try await daemon.client.status()
        #expect(status.state == .serving)
        #expect(status.sources[0].state == .loaded)
        #expect(status.sources[0].rows == 40000)
        let keys = (1...40000).map(String.init)
        let names = try await lookupAll(daemon, namespace: "user", keys: keys)
        #expect(names == keys.map { "user \($0) é" })
        let log = try String(contentsOf: daemon.logFile, encoding: .utf8)
        #expect(log.contains("Failed to fetch source 'users' partition "), "\(log)")
        #expect(log.contains("retrying"), "\(log)")
        try await daemon.stop()
    }

    @Test func aSourceThatCannotConnectKeepsItsRowsAndStatusSaysWhyAndWhenItLastLoaded() async throws {
        try server.psql("""
            DROP TABLE IF EXISTS connect_users;
            DROP ROLE IF EXISTS flaky_reader;
            CREATE ROLE flaky_reader LOGIN;
            CREATE TABLE connect_users AS SELECT g AS id, 'name ' || g AS name FROM generate_series(1, 100) g;
            GRANT SELECT ON connect_users TO flaky_reader;
            """)
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "postgresql"
            url = "\(server.url(user: "flaky_reader"))"
            query = "SELECT id, name FROM connect_users"
            retries = 0
            """)
        try await daemon.start()
        let before = try await daemon.client.status().sources[0]
        #expect(before.rows == 100)
        let loadedAt = try #require(before.lastSuccessUSec)
        try server.psql("ALTER ROLE flaky_reader NOLOGIN")
        let reload = try daemon.namectl(["reload", "--wait"])
        #expect(reload.status == 1)
        #expect(reload.stderr.contains("not permitted to log in"), "\(reload.stderr)")
        #expect(try daemon.namectl(["get", "user", "42"]).stdout == "42\tname 42\n")
        let after = try await daemon.client.status().sources[0]
        #expect(after.state == .stale || after.state == .failedAndReloading)  // its retry may already run
        #expect(after.rows == 100)
        #expect(after.lastSuccessUSec == loadedAt)
        #expect(after.lastError?.contains("cannot connect") == true)
        let text = try daemon.namectl(["status"]).stdout
        #expect(text.contains("not permitted to log in"), "\(text)")
        try await daemon.stop()
    }

    @Test func thePasswordComesFromASystemdCredential() async throws {
        try server.psql("DROP TABLE IF EXISTS secret_users; CREATE TABLE secret_users AS SELECT 1 AS id, 'Zoë' AS name;")
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "users"
                namespace = "user"
                kind = "postgresql"
                url = "\(server.url(user: "secret_reader"))"
                query = "SELECT id, name FROM secret_users"
                password_credential = "pg-password"
                """,
            files: ["credentials/pg-password": "hunter2 with spaces\n"])
        try await daemon.start(environment: ["CREDENTIALS_DIRECTORY": daemon.directory.appendingPathComponent("credentials").path])
        #expect(try daemon.namectl(["get", "user", "1"]).stdout == "1\tZoë\n")
        // --check-config names the credential, never the secret.
        let check = try runProgram(Products.nameindexd, ["--check-config", "--config", daemon.configurationPath])
        #expect(check.status == 0)
        #expect(check.stdout.contains("password_credential = \"pg-password\""))
        #expect(!check.stdout.contains("hunter2"))
        try await daemon.stop()
    }

    @Test func withoutTheCredentialsDirectoryTheErrorSaysWhatToSet() async throws {
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "postgresql"
            url = "\(server.url(user: "secret_reader"))"
            query = "SELECT 1, 'a'"
            password_credential = "pg-password"
            retries = 0
            """)
        try await daemon.start(environment: ["CREDENTIALS_DIRECTORY": ""])
        let status = try await daemon.client.status()
        #expect(status.sources[0].lastError?.contains("LoadCredential=") == true, "\(status.sources[0].lastError ?? "")")
        try await daemon.stop()
    }
}

extension PostgresDaemonTests {
    @Test func cancelMidFetchLeavesNoConnectionBehind() async throws {
        try server.psql("""
            DROP TABLE IF EXISTS cancel_users, cancel_gate;
            CREATE TABLE cancel_users AS SELECT g::bigint AS id, 'user ' || g AS name FROM generate_series(1, 1000) g;
            CREATE TABLE cancel_gate(x int);
            CREATE OR REPLACE FUNCTION nameindex_cancel_gate(id bigint) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
              IF id = 500 AND EXISTS (SELECT 1 FROM cancel_gate) THEN PERFORM pg_sleep(120); END IF;
              RETURN true;
            END $$;
            """)
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "postgresql"
            url = "\(server.url())&application_name=nameindex-cancel"
            query = "SELECT id, name FROM cancel_users WHERE {partition_filter} AND nameindex_cancel_gate(id)"
            partition_key = "id"
            partitions = 2
            """)
        try await daemon.start()
        try server.psql("INSERT INTO cancel_gate VALUES (1)")
        let reload = try daemon.namectl(["reload"])
        #expect(reload.status == 0)
        let connections = {
            try self.server.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'nameindex-cancel'")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var sleeping = false
        for _ in 0..<400 where !sleeping {
            sleeping = try server.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'nameindex-cancel' AND wait_event = 'PgSleep'"
            ).trimmingCharacters(in: .whitespacesAndNewlines) == "1"
            if !sleeping { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(sleeping)
        #expect(try daemon.namectl(["reload", "--cancel"]).stdout.hasPrefix("Cancelled the running reload"))
        // PQcancel stops the query while the gate is still shut, and the connection is closed:
        // its backend is gone from pg_stat_activity without the query ever waking.
        var left = try connections()
        let deadline = ContinuousClock.now + .seconds(60)
        while left != "0" && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(25))
            left = try connections()
        }
        #expect(left == "0")
        try server.psql("DELETE FROM cancel_gate")
        let status = try await daemon.client.status()
        #expect(status.generation == 1)
        #expect(status.sources[0].rows == 1000)
        try await daemon.stop()
    }
}

extension PostgresDaemonTests {
    /// The connection holding the partitions' snapshot dies, then a partition's: the partition
    /// cannot import the snapshot again, so the whole source is fetched again, under a new one.
    @Test func whenTheSnapshotsHolderIsGoneTheWholeSourceIsFetchedAgain() async throws {
        try armGate()
        let daemon = try DaemonHarness(configuration: """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "postgresql"
            url = "\(server.url())&application_name=nameindex-holder"
            query = "SELECT id, name FROM fault_users WHERE {partition_filter} AND nameindex_gate(id)"
            partition_key = "id"
            partitions = 4
            retries = 2
            retry_delay = "100ms"
            """)
        try daemon.launch()
        let deadline = ContinuousClock.now + .seconds(60)
        var killed = false
        while !killed && ContinuousClock.now < deadline {
            let sleeping = try server.psql("""
                SELECT count(*) FROM pg_stat_activity WHERE application_name = 'nameindex-holder' AND wait_event = 'PgSleep'
                """).trimmingCharacters(in: .whitespacesAndNewlines)
            if sleeping == "1" {
                // The holder first (idle in its transaction), then the sleeping partition.
                let holder = try server.psql("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE application_name = 'nameindex-holder' AND state = 'idle in transaction';
                    """)
                try #require(holder.contains("t"), "a connection holds the snapshot: \(holder)")
                try FileManager.default.removeItem(atPath: gateFile)
                killed = try server.psql("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'nameindex-holder' AND wait_event = 'PgSleep';
                    """).contains("t")
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(killed)
        try await daemon.waitUntilLoaded()
        let status = try await daemon.client.status()
        #expect(status.sources[0].state == .loaded)
        #expect(status.sources[0].rows == 40000)
        #expect(daemon.log.contains("fetching the whole source again"), "\(daemon.log)")
        try await daemon.stop()
    }
}
