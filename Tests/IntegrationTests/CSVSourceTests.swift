#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

@Suite struct CSVSourceTests {
    @Test func aCSVSourceWithNamedColumnsServesItsRows() async throws {
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "people"
                namespace = "user"
                kind = "file"
                path = "people.csv"
                format = "csv"
                header = true
                key_column = "id"
                name_column = "display name"

                """,
            files: ["people.csv": "email,id,display name\nz@example.org,42,\"Martin, Zoë\"\na@example.org,7,\"The \"\"Boss\"\"\"\nbroken,\"x\" y,z\n"])
        try await daemon.start()
        #expect(try daemon.namectl(["get", "user", "42", "7"]).stdout == "42\tMartin, Zoë\n7\tThe \"Boss\"\n")
        let status = try await daemon.client.status()
        #expect(status.sources[0].rows == 2)
        #expect(status.sources[0].skippedMalformed == 1)
        try await daemon.stop()
    }

    @Test func aHeaderWithoutTheColumnFailsTheSourceSayingWhy() async throws {
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "people"
                namespace = "user"
                kind = "file"
                path = "people.csv"
                format = "csv"
                header = true
                key_column = "id"

                """,
            files: ["people.csv": "key,name\n1,a\n"])
        try await daemon.start()
        let status = try await daemon.client.status()
        // (.failedAndReloading: its retry, 15–30 s later, already runs on a slow machine)
        #expect(status.sources[0].state == .failed || status.sources[0].state == .failedAndReloading)
        #expect(status.sources[0].lastError?.contains("column 'id' is not in the header (key, name)") == true)
        try await daemon.stop()
    }
}
