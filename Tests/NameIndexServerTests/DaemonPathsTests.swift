import Foundation
import NameIndexSources
import Testing

@testable import NameIndexServer

@Suite struct DaemonPathsTests {
    @Test func rootUsesTheSystemDirectories() {
        let paths = DaemonPaths.defaults(uid: 0, environment: [:])
        #expect(paths == .init(configurationFile: "/etc/nameindexd/nameindexd.toml", runtimeDirectory: "/run/nameindexd", stateDirectory: "/var/lib/nameindexd"))
    }

    @Test func systemdDirectoriesWin() {
        let paths = DaemonPaths.defaults(
            uid: 61_000,
            environment: [
                "CONFIGURATION_DIRECTORY": "/etc/nameindexd", "RUNTIME_DIRECTORY": "/run/nameindexd:/run/other",
                "STATE_DIRECTORY": "/var/lib/nameindexd", "XDG_RUNTIME_DIR": "/run/user/61000",
            ])
        #expect(paths == .init(configurationFile: "/etc/nameindexd/nameindexd.toml", runtimeDirectory: "/run/nameindexd", stateDirectory: "/var/lib/nameindexd"))
    }

    @Test func anOrdinaryUserGetsNoConfigurationAndPrivateDirectories() {
        let withXDG = DaemonPaths.defaults(uid: 1000, environment: ["XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/a"])
        #expect(withXDG == .init(configurationFile: nil, runtimeDirectory: "/run/user/1000/nameindexd", stateDirectory: "/home/a/.local/state/nameindexd"))
        let bare = DaemonPaths.defaults(uid: 1000, environment: [:])
        #expect(bare.runtimeDirectory == "/tmp/nameindexd-1000")
    }

    @Test func theDemoConfigurationIsFoundFromABuildInTheSourceTree() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fakeExecutable = root.appendingPathComponent(".build/some-triple/debug/nameindexd").path
        let found = try #require(DaemonPaths.demoConfigurationFile(executable: fakeExecutable))
        #expect(found == root.appendingPathComponent("examples/demo/nameindexd.toml").path)
        // The demo itself is a valid configuration.
        let demo = try ConfigurationLoader().load(path: found, defaults: .testing)
        #expect(demo.sources.count >= 3)
    }
}
