import Foundation
import Logging
import NIOCore
import NIOPosix
import NameIndexCore
import NameIndexProtocol
import ServiceLifecycle
import Systemd

/// Facts about the machine.
enum System {
    static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
