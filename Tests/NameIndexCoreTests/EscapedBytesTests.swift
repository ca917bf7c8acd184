import NameIndexCore
import Testing

@Suite struct EscapedBytesTests {
    @Test(arguments: [
        ([UInt8]("plain 42".utf8), "plain 42"),
        ([UInt8]("Zoë 王".utf8), "Zoë 王"),
        ([0x5C], "\\\\"),
        ([0x09, 0x0A, 0x0D], "\\t\\n\\r"),
        ([0x00, 0x1B, 0x7F], "\\x00\\x1b\\x7f"),
        ([0xFF, 0x41], "\\xffA"),
        ([0xC3], "\\xc3"),  // a character cut short
        ([0xC0, 0x80], "\\xc0\\x80"),  // overlong
        ([0xED, 0xA0, 0x80], "\\xed\\xa0\\x80"),  // a surrogate
        ([0xF4, 0x90, 0x80, 0x80], "\\xf4\\x90\\x80\\x80"),  // past U+10FFFF
        ([0xC2, 0x85], "\\xc2\\x85"),  // a C1 control, U+0085
    ] as [([UInt8], String)])
    func bytesAreShownUnmistakably(bytes: [UInt8], text: String) {
        #expect(EscapedBytes.text(bytes) == text)
    }

    @Test func theLimitCutsBytesNotTheEscapes() {
        #expect(EscapedBytes.text(Array("abcdef".utf8), limit: 3) == "abc")
        // A character cut by the limit shows as its bytes.
        #expect(EscapedBytes.text(Array("aé".utf8), limit: 2) == "a\\xc3")
    }
}
