import Foundation
import NameIndexSources
import Testing

@testable import NameIndexServer

@Suite struct ExampleConfigurationTests {
    /// examples/nameindexd.toml documents every kind: it must stay a valid configuration.
    @Test func theAnnotatedExampleIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let configuration = try ConfigurationLoader().load(
            path: root.appendingPathComponent("examples/nameindexd.toml").path, defaults: .testing)
        #expect(configuration.sources.map(\.kind) == ["command", "postgresql", "file", "sqlite", "file"])
        #expect(configuration.sources[0].fetch.partitions == 8)
        #expect(configuration.sources[0].guards == .init(minRows: 1_000_000, maxShrink: 0.1, onFailure: .keep))
        #expect(configuration.daemon.maxParallelFetches == 4)
        #expect(Set(SourceKinds.all.map { $0.name }) == Set(configuration.sources.map(\.kind)))
    }
}
