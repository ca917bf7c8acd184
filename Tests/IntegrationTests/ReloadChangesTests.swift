import Foundation
import NameIndexProtocol
import Testing

@Suite struct ReloadChangesTests {
    @Test func afterASwapStatusSaysWhatChangedPerNamespace() async throws {
        let daemon = try DaemonHarness(
            configuration: """
                [[source]]
                name = "users"
                namespace = "user"
                kind = "file"
                path = "users.tsv"

                [[source]]
                name = "teams"
                namespace = "team"
                kind = "file"
                path = "teams.tsv"
                """, files: ["users.tsv": "1\tZoë\n2\tAna\n3\tBo\n", "teams.tsv": "7\tRed\n"])
        try await daemon.start()
        #expect(try await daemon.client.status().changes == nil)
        try daemon.write("users.tsv", "1\tZoë\n2\tAna B.\n4\tDi\n5\tEd\n")
        #expect(try daemon.namectl(["reload", "--wait"]).status == 0)
        var status = try await daemon.client.status()
        let deadline = ContinuousClock.now + .seconds(60)
        while status.changesFrom != 1 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            status = try await daemon.client.status()
        }
        #expect(status.changesFrom == 1)
        #expect(status.sources.allSatisfy { ($0.bytes ?? 0) > 0 })
        #expect(status.changes == [
            .init(namespace: "team", added: 0, removed: 0, changed: 0),
            .init(namespace: "user", added: 2, removed: 1, changed: 1),
        ])
        let text = try daemon.namectl(["status"]).stdout
        #expect(text.contains("Changes: since generation 1: team unchanged, user +2 −1 ~1"), "\(text)")
        try await daemon.stop()
    }
}
