import Foundation
import NameIndexSources
import Testing

@testable import NameIndexServer

/// Table headers the TOML parser would assume start with a key (fuzzing finds).
@Suite struct ConfigurationTableHeaderTests {
    @Test(arguments: ["[ = \"x\"]\n", "[.a]\n", "[[ =]]\n", "[ #]\n", "\n  [,]\n"])
    func aHeaderWithoutAKeyIsASyntaxError(text: String) throws {
        let error = try #require(configurationError("[daemon]\n" + text))
        #expect(error.code == .syntax)
        #expect(error.message == "invalid TOML: a table header must start with a key", "\(error.message)")
    }

    /// A byte-order mark does not hide the first line's header from the check (the parser
    /// skips the mark, so the line still starts with `[`).
    /// Outside strings and comments TOML is ASCII; the parser took U+0085 for whitespace that
    /// ends a value and then failed an assertion (`do=[\u{85}&6z`, a config fuzzing find).
    @Test(arguments: ["do=[\u{85}&6z\n", "reload_interval = \u{A0}\"1h\"\n", "é = 1\n", "reload_interval = [\u{2028}]\n"])
    func aCharacterThatIsNotASCIIOutsideAStringIsASyntaxError(text: String) throws {
        let error = try #require(configurationError("[daemon]\n" + text))
        #expect(error.code == .syntax && error.line == 2)
        #expect(error.message == "invalid TOML: a character that is not ASCII may appear only in a string or a comment", "\(error.message)")
    }

    @Test func charactersThatAreNotASCIIAreFineInStringsAndComments() {
        #expect(configurationError("# Zoë's daemon \u{85}\n[daemon]\ncontrol_group = \"nämeïndex\" # ü\n") == nil)
    }

    @Test func aHeaderWithoutAKeyAfterAByteOrderMarkIsASyntaxError() throws {
        let error = try #require(configurationError("\u{FEFF}[$a]\n"))
        #expect(error.code == .syntax && error.line == 1)
        #expect(error.message == "invalid TOML: a table header must start with a key", "\(error.message)")
        #expect(configurationError("\u{FEFF}[daemon]\n") == nil)
    }

    @Test(arguments: [
        ("reload_interval = [1 }\n", "'}' does not close the bracket opened before it"),
        ("reload_interval = [[1]]]\n", "']' does not close the bracket opened before it"),
        ("reload_interval = ]\n", "a key needs a value after '='"),
        ("reload_interval = { a = }\n", "a key needs a value after '='"),
        ("reload_interval =\n", "a key needs a value after '='"),
        ("reload_interval = 0407-02-00 7 #\n", "a date followed by a space must go on with a time"),
        ("reload_interval = [1979-05-27 0]\n", "a date followed by a space must go on with a time"),
        ("reload_interval = 19_79-05-27_ 0,\n", "a date followed by a space must go on with a time"),
        ("reload_interval = 0407-0\"-00 7 ?\n", "a date followed by a space must go on with a time"),
        ("reload_interval = 0407-éé-00 7 ]\n", "a date followed by a space must go on with a time"),
        ("ru=6407-02-07this: keep\n", "a date followed by 'T' must go on with a time"),
        ("reload_interval = 1979-05-27T\n", "a date followed by 'T' must go on with a time"),
        ("reload_interval = [1979-05-27t, 1]\n", "a date followed by 'T' must go on with a time"),
    ])
    func bracketsThatDoNotMatchAndMissingValuesAreSyntaxErrors(text: String, message: String) throws {
        let error = try #require(configurationError("[daemon]\n" + text))
        #expect(error.code == .syntax && error.line == 2)
        #expect(error.message == "invalid TOML: " + message, "\(error.message)")
    }

    /// Dates and date-times the check leaves to the parser.
    @Test(arguments: ["1979-05-27 07:32:00", "1979-05-27", "1979-05-27T07:32:00Z", "1979-05-27 07:32:00.5+01:00"])
    func dateTimesAreNotRefusedByTheCheck(value: String) throws {
        #expect(throws: Never.self) { try TOMLPrecheck.check("[daemon]\nwhen = \(value)\n") }
    }

    /// Brackets that are values, strings or comments are not headers.
    @Test func arraysStringsAndCommentsAreNotHeaders() {
        let text = #"""
            [daemon]
            # [ = comment
            control_group = "[ = x"

            [[source]]
            name = "a"
            namespace = "user"
            kind = "command"
            command = [
              "sh", '-c',
              """
            [ = not a header
            """,
            ]
            """#
        #expect(configurationError(text)?.message.contains("table header") != true, "\(String(describing: configurationError(text)))")
    }
}
