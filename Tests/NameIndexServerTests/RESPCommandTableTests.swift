import Testing

@testable import NameIndexServer

/// The RESP command table is what dispatch, the arity errors and COMMAND read.
@Suite struct RESPCommandTableTests {
    let fixture: RESPConnectionHandlerTests

    init() throws { fixture = try RESPConnectionHandlerTests() }

    func inline(_ words: [String]) -> String { words.joined(separator: " ") + "\r\n" }

    /// Too few words (and, for a fixed arity, one too many) get the arity error, in any case.
    @Test func everyCommandChecksItsArityFromTheTable() throws {
        for spec in RESPCommands.table {
            let name = spec.nameString
            let minimum = abs(spec.arity)
            if minimum > 1 {
                let words = [name.uppercased()] + Array(repeating: "a", count: minimum - 2)
                #expect(
                    try fixture.exchange([inline(words)]) == "-ERR wrong number of arguments for '\(name)' command\r\n", "\(name)")
            }
            if spec.arity > 0 {
                let words = [name] + Array(repeating: "a", count: spec.arity)
                #expect(
                    try fixture.exchange([inline(words)]) == "-ERR wrong number of arguments for '\(name)' command\r\n", "\(name)")
            }
        }
    }

    /// COMMAND lists exactly the table: COUNT, each entry's name and arity, INFO and DOCS.
    @Test func commandListsTheTable() throws {
        let count = RESPCommands.table.count
        #expect(try fixture.exchange(["COMMAND COUNT\r\n"]) == ":\(count)\r\n")
        let all = try fixture.exchange(["COMMAND\r\n"])
        #expect(all.hasPrefix("*\(count)\r\n"))
        for spec in RESPCommands.table {
            let name = spec.nameString
            #expect(all.contains("*6\r\n$\(name.utf8.count)\r\n\(name)\r\n:\(spec.arity)\r\n"), "\(name)")
        }
        #expect(try fixture.exchange(["COMMAND INFO hmget nope\r\n"]).hasPrefix("*2\r\n*6\r\n$5\r\nhmget\r\n:-3\r\n"))
        #expect(try fixture.exchange(["COMMAND INFO nope\r\n"]) == "*1\r\n$-1\r\n")
        let docs = try fixture.exchange(["COMMAND DOCS hget\r\n"])
        #expect(docs == "*2\r\n$4\r\nhget\r\n*4\r\n$7\r\nsummary\r\n$41\r\nReturns the name of an id in a namespace.\r\n$5\r\ngroup\r\n$4\r\nhash\r\n", "\(docs)")
    }

    /// HGET, HEXISTS and HSTRLEN that reach the table (not the batch) answer alike.
    @Test func singleKeyReadsAnswerFromTheFirstSource() throws {
        #expect(try fixture.exchange(["HEXISTS user 42\r\nHSTRLEN user 42\r\nHEXISTS user 9\r\nHLEN user\r\nTYPE user\r\nEXISTS user team\r\n"])
            == ":1\r\n:11\r\n:0\r\n:3\r\n+hash\r\n:1\r\n")
    }
}
