import Foundation
import Logging
import NIOCore
import NIOPosix
import NameIndexCore
import NameIndexProtocol
import ServiceLifecycle
import Systemd

/// Facts about the machine.
public enum System {
    /// The cores this process may run on.
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
