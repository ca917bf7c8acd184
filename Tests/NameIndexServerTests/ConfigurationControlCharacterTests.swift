import Foundation
import NameIndexSources
import Testing

@testable import NameIndexServer

/// Control characters: TOML allows none but tab, LF and CR, and the parser underneath aborts
/// on some of them (a fuzzing find, replayed from fuzz/corpus/config); refused first, with
/// their line.
@Suite struct ConfigurationControlCharacterTests {
    @Test(arguments: [0x00, 0x01, 0x0E, 0x1F, 0x7F] as [UInt8])
    func aControlCharacterIsASyntaxErrorWithItsLine(byte: UInt8) throws {
        let text = "[daemon]\n# a comment\n[" + String(decoding: [byte], as: UTF8.self) + "daemon]\n"
        let error = try #require(configurationError(text))
        #expect(error.code == .syntax)
        #expect(error.line == 3)
        #expect(error.message.hasPrefix("invalid TOML: control character U+00"), "\(error.message)")
    }

    @Test func tabsAndCRLFAreFine() {
        #expect(configurationError("[daemon]\r\n\tmax_connections = 5\t# tab\r\n") == nil)
    }
}
