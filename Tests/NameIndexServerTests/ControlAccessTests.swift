import Foundation
import NIOCore
import NameIndexCore
import NameIndexProtocol
import Testing

@testable import NameIndexServer

@Suite struct ControlAccessTests {
    @Test func rootTheDaemonsUserAndTheControlGroupMayControl() {
        let access = ControlAccess(daemonUID: 900, controlGID: 950, controlGroup: "nameindex")
        #expect(access.mayControl(PeerCredentials(pid: 1, uid: 0, gid: 0)))
        #expect(access.mayControl(PeerCredentials(pid: 1, uid: 900, gid: 900)))
        #expect(access.mayControl(PeerCredentials(pid: 1, uid: 1000, gid: 950)))
        #expect(!access.mayControl(PeerCredentials(pid: Int32.max, uid: 1000, gid: 1000)))
        #expect(!access.mayControl(nil))
        #expect(!ControlAccess(daemonUID: 900).mayControl(PeerCredentials(pid: 1, uid: 1000, gid: 950)))
    }

    @Test func anUnknownGroupIsAnError() {
        #expect(throws: DaemonError.self) { try ControlAccess.resolving(group: "no-such-group-nameindex") }
        #expect((try? ControlAccess.resolving(group: "root"))?.controlGID == 0)
    }
}
