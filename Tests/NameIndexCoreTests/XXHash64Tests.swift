import NameIndexCore
import Testing

@Suite struct XXHash64Tests {
    static let cases: [([UInt8], UInt64)] = [
        ([], 0xEF46_DB37_51D8_E999),
        (Array("a".utf8), 0xD24E_C4F1_A98C_6E5B),
        (Array("abc".utf8), 0x44BC_2CF5_AD77_0999),
        (Array("nameindex".utf8), 0xDB15_B0C8_1E8F_56BD),
        ((0..<1024).map { UInt8($0 % 256) }, 0x6F39_14F1_8FE4_DF57),
        (Array(String(repeating: "Zoë Martin", count: 7).utf8), 0x282B_0331_6DCA_7B6D),
    ]

    // Values from the reference implementation (Python's xxhash package, seed 0).
    @Test(arguments: cases)
    func matchesTheReferenceImplementation(_ input: [UInt8], _ expected: UInt64) {
        #expect(XXHash64.hash(input) == expected)
    }
}
