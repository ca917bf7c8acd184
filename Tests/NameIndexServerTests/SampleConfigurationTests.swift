import Foundation
import Testing

@testable import NameIndexServer

/// `[daemon] miss_sample` and `skipped_sample`: their defaults, bounds and rendering.
@Suite struct SampleConfigurationTests {
    let source = "[[source]]\nname = \"u\"\nnamespace = \"user\"\nkind = \"file\"\npath = \"/u.tsv\"\n"

    func load(_ text: String) throws -> Configuration { try parsedConfiguration(text) }

    @Test func defaultsAndValues() throws {
        let plain = try load(source)
        #expect(plain.daemon.missSample == 100 && plain.daemon.skippedSample == 20)
        let set = try load("[daemon]\nmiss_sample = 0\nskipped_sample = 100\n\n" + source)
        #expect(set.daemon.missSample == 0 && set.daemon.skippedSample == 100)
        #expect(set.renderedTOML().contains("miss_sample = 0\nskipped_sample = 100\n"))
    }

    @Test(arguments: [
        ("miss_sample = 10001", "daemon.miss_sample"), ("miss_sample = -1", "daemon.miss_sample"),
        ("skipped_sample = 101", "daemon.skipped_sample"), ("skipped_sample = \"20\"", "daemon.skipped_sample"),
    ])
    func outOfRangeIsAClearError(_ line: String, _ key: String) throws {
        let error = try #require(configurationError("[daemon]\n\(line)\n\n" + source), "\(line) was accepted")
        #expect(error.key == key, "\(error)")
    }
}
