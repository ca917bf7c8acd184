#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NameIndexClient
import NameIndexProtocol
import Testing

@Suite struct GlobSourceTests {
    @Test func aReloadPicksUpNewFilesOfAGlob() async throws {
        let daemon = try DaemonHarness(
            configuration: "[[source]]\nname = \"parts\"\nnamespace = \"user\"\nkind = \"file\"\npath = \"part-*.tsv\"\n",
            files: ["part-1.tsv": "1\tAna\n"])
        try await daemon.start()
        #expect(try daemon.namectl(["get", "user", "2"]).status == 2)
        try daemon.write("part-2.tsv", "2\tBjörn\n1\tnot the first\n")
        #expect(try daemon.namectl(["reload", "--wait"]).status == 0)
        #expect(try daemon.namectl(["get", "user", "1", "2"]).stdout == "1\tAna\n2\tBjörn\n")
        #expect(try await daemon.client.status().sources[0].duplicates == 1)
        try await daemon.stop()
    }
}
