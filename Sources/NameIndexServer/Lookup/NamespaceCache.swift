#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NameIndexCore
import NameIndexProtocol
import Synchronization

/// The namespace a connection named last, resolved once per generation: most clients ask
/// one namespace over and over. It holds no reference into the index, so an idle
/// connection never keeps an old generation's tables alive.
struct NamespaceCache {
    var generation: UInt64?
    var name: [UInt8] = []
    var slot = 0
}
