import Foundation
import Logging
import NIOCore
import NIOPosix
import NameIndexCore
import NameIndexProtocol
import ServiceLifecycle
import Systemd

/// Everything the daemon needs to run, decided before it starts.
public struct DaemonSettings: Sendable {
    public var configuration: Configuration
    public var runtimeDirectory: String
    public var stateDirectory: String
    public var clock: WallClock = .system
    public var notifier = Notifier()
    /// Sockets passed by systemd (socket activation), by `FileDescriptorName=`.
    public var listenDescriptors = ListenFileDescriptors(descriptors: [])

    public init(configuration: Configuration, runtimeDirectory: String, stateDirectory: String) {
        self.configuration = configuration
        self.runtimeDirectory = runtimeDirectory
        self.stateDirectory = stateDirectory
    }

    /// The passed control socket's own path, else the one in the runtime directory.
    public var controlSocketPath: String { passedSocketPath("control") ?? DaemonPaths.controlSocket(in: runtimeDirectory) }

    /// The passed lookup socket's own path, else the one in the runtime directory.
    public var lookupSocketPath: String { passedSocketPath("lookup") ?? RuntimePaths.lookupSocket(in: runtimeDirectory) }

    /// The path a socket systemd passed as `name` is bound to, whatever the runtime directory says.
    private func passedSocketPath(_ name: String) -> String? {
        listenDescriptors.descriptor(named: name).flatMap(ListenFileDescriptors.socketPath(of:))
    }

    /// Whether the daemon binds its sockets itself (and so needs its runtime directory): when
    /// started by hand. Under socket activation the socket units own the directory.
    public var bindsItsOwnSockets: Bool { listenDescriptors.descriptors.isEmpty }

    /// Whether the lookup socket is served: always when started by hand; under socket
    /// activation only when systemd passed it (`nameindexd-lookup.socket`).
    public var servesLookupSocket: Bool { bindsItsOwnSockets || listenDescriptors.descriptor(named: "lookup") != nil }

    /// The snapshot of the last good generation, in the state directory.
    public var snapshotPath: String { "\(stateDirectory)/index.snapshot" }
}
