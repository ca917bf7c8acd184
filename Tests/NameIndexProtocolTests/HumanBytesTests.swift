import Foundation
import NameIndexProtocol
import Testing

@Suite struct HumanBytesTests {
    @Test(arguments: [(0, "0B"), (512, "512B"), (1536, "1.5K"), (327_600_000, "312.4M"), (1_288_490_189, "1.2G")])
    func namesSizes(_ value: Int, _ text: String) {
        #expect(HumanFormat.bytes(value) == text)
    }
}
