#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

@Suite struct NDJSONSourceTests {
    @Test func anNDJSONSourceServesStringAndNumberIds() async throws {
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "events"
                namespace = "user"
                kind = "file"
                path = "users.ndjson"
                format = "ndjson"
                key_field = "user_id"
                name_field = "display"

                """,
            files: ["users.ndjson": """
                {"user_id": 42, "display": "Zoë Martin", "tags": ["a", {"b": null}]}
                {"display": "\\u738b\\u5c0f\\u660e", "user_id": "1022"}
                {"user_id": null, "display": "nobody"}
                not json

                """])
        try await daemon.start()
        #expect(try daemon.namectl(["get", "user", "42", "1022"]).stdout == "42\tZoë Martin\n1022\t王小明\n")
        let status = try await daemon.client.status()
        #expect(status.sources[0].rows == 2)
        #expect(status.sources[0].skippedNull == 1)
        #expect(status.sources[0].skippedMalformed == 1)
        try await daemon.stop()
    }
}
