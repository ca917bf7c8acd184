import NameIndexCore
import Testing

@Suite struct CanonicalIntegerTests {
    @Test(arguments: ["0", "7", "-7", "42", "1000000", "9223372036854775807", "-9223372036854775808"])
    func acceptsCanonicalText(_ text: String) throws {
        let value = try #require(Array(text.utf8).withUnsafeBytes { CanonicalInteger.parse($0) })
        #expect(String(value) == text)
        #expect(CanonicalInteger.textLength(value) == text.utf8.count)
        var buffer = [UInt8](repeating: 0, count: 24)
        let length = buffer.withUnsafeMutableBytes { CanonicalInteger.write(value, into: $0) }
        #expect(String(decoding: buffer[0..<length], as: UTF8.self) == text)
    }

    @Test(arguments: ["", "-", "-0", "00", "07", "+7", " 7", "7 ", "1.0", "1e3", "9223372036854775808", "-9223372036854775809", "12a"])
    func rejectsEverythingElse(_ text: String) {
        #expect(Array(text.utf8).withUnsafeBytes { CanonicalInteger.parse($0) } == nil)
    }
}
