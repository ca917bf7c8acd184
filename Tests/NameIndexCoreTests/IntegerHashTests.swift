import NameIndexCore
import Testing

@Suite struct IntegerHashTests {
    // fmix64(id ^ 0x9E3779B97F4A7C15), computed by an independent implementation.
    static let cases: [(Int64, UInt64)] = [
        (0, 0x9CA0_66F1_A4AB_2EEA), (1, 0x25B7_75FA_ECA8_F520), (42, 0x2D1C_8760_F804_7FC7),
        (-1, 0x3CD6_17BB_BCC3_9640), (Int64.max, 0xF2A9_E4C5_22CF_7451), (Int64.min, 0x11C0_B774_5EB8_8D61),
    ]

    @Test(arguments: cases)
    func matchesTheDocumentedAlgorithm(_ value: Int64, _ expected: UInt64) {
        #expect(NameHash.hash(integer: value) == expected)
    }
}
