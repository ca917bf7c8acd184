#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NameIndexCore
import NameIndexProtocol
import Synchronization

/// One connection's settings.
struct RESPSession {
    var version: RESPReply.Version = .resp2
    var name: String?
    var libraryName: String?
    var libraryVersion: String?
    let id: Int
}
