import Foundation
import NameIndexSources
import Testing

@testable import NameIndexServer

@Suite struct GuardTests {
    @Test func readsTheGuardKeysOfAnyKind() throws {
        var configuration = Configuration(defaults: .testing)
        try ConfigurationLoader().parse(
            userSource + "min_rows = 1000\nmax_shrink = \"20%\"\non_failure = \"fail\"\n", file: "/x.toml", into: &configuration)
        #expect(configuration.sources[0].guards == .init(minRows: 1000, maxShrink: 0.2, onFailure: .fail))
        #expect(Configuration.Guards() == .init(minRows: 0, maxShrink: nil, onFailure: .keep))
    }

    @Test(arguments: [
        ("min_rows = -1\n", "source[1].min_rows", "expected a whole number from 0"),
        ("max_shrink = \"20\"\n", "source[1].max_shrink", "expected a percentage from \"0%\" to \"100%\", got '20'"),
        ("max_shrink = \"120%\"\n", "source[1].max_shrink", "expected a percentage from \"0%\" to \"100%\", got '120%'"),
        ("on_failure = \"retry\"\n", "source[1].on_failure", "expected 'keep' or 'fail', got 'retry'"),
    ])
    func badGuardValuesSayWhatWasExpected(_ extra: String, _ key: String, _ message: String) throws {
        let error = try #require(configurationError(userSource + extra))
        #expect(error.key == key)
        #expect(error.message == message)
    }

    @Test func theGuardsDecide() {
        let guards = Configuration.Guards(minRows: 10, maxShrink: 0.2)
        #expect(IndexLoader.guardFailure(rows: 9, previous: nil, of: 0, guards: guards) == "returned 9 rows, fewer than min_rows = 10")
        #expect(IndexLoader.guardFailure(rows: 10, previous: nil, of: 0, guards: guards) == nil)
        #expect(IndexLoader.guardFailure(rows: 800, previous: 1000, of: 4, guards: guards) == nil)  // exactly 20%
        #expect(
            IndexLoader.guardFailure(rows: 100, previous: 1000, of: 4, guards: guards)
                == "returned 100 rows, 90% fewer than the 1,000 of generation 4 (max_shrink = 20%)")
        #expect(IndexLoader.guardFailure(rows: 5000, previous: 1000, of: 4, guards: guards) == nil)  // growth is fine
    }
}
