import Foundation
import NameIndexProtocol
import Testing

@Suite struct HumanFormatTests {
    @Test(arguments: [(0, "0"), (999, "999"), (1000, "1,000"), (12345, "12,345"), (1_234_567, "1,234,567"), (-4200, "-4,200")])
    func groupsThousands(_ value: Int, _ text: String) {
        #expect(HumanFormat.count(value) == text)
    }

    @Test(arguments: [
        (UInt64(850), "850us"), (12_000, "12ms"), (3_250_000, "3.2s"), (245_000_000, "4min 5s"),
        (7_800_000_000, "2h 10min"), (273_600_000_000, "3d 4h"),
    ])
    func namesDurations(_ microseconds: UInt64, _ text: String) {
        #expect(HumanFormat.duration(microseconds: microseconds) == text)
    }
}
