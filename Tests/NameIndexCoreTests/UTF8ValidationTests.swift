import NameIndexCore
import Testing

@Suite struct UTF8ValidationTests {
    @Test(arguments: [
        "", "plain ascii", "Zoë Martin", "王小明", "🌍 emoji", "Grzegorz Brzęczyszczykiewicz", "\u{10FFFF}", "\u{0}",
    ])
    func acceptsWellFormedText(_ text: String) {
        #expect(UTF8Validation.isValid(Array(text.utf8)))
    }

    @Test(arguments: [
        [0x80],  // lone continuation byte
        [0xC3],  // truncated two-byte sequence
        [0xC0, 0xAF],  // overlong '/'
        [0xC1, 0xBF],  // overlong
        [0xE0, 0x80, 0xAF],  // overlong three-byte
        [0xED, 0xA0, 0x80],  // UTF-16 surrogate D800
        [0xF0, 0x80, 0x80, 0xAF],  // overlong four-byte
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0xF5, 0x80, 0x80, 0x80],  // invalid lead byte
        [0xFF],
        [0xE2, 0x82],  // truncated euro sign
        [0x61, 0xF0, 0x9F, 0x8C],  // truncated emoji after 'a'
        [0xE2, 0x28, 0xA1],  // bad continuation
    ] as [[UInt8]])
    func rejectsMalformedBytes(_ bytes: [UInt8]) {
        #expect(!UTF8Validation.isValid(bytes))
    }

    @Test func agreesWithTheStandardLibraryOnEveryTwoByteString() {
        for a in 0...255 {
            for b in 0...255 {
                let bytes: [UInt8] = [UInt8(a), UInt8(b)]
                let reference = String(validating: bytes, as: UTF8.self) != nil
                #expect(UTF8Validation.isValid(bytes) == reference, "bytes \(bytes)")
            }
        }
    }
}
