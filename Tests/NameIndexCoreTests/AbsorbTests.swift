import NameIndexCore
import Testing

@Suite struct AbsorbTests {
    @Test func partitionsJoinInOrderAndTheFirstWins() throws {
        let first = KeyTableBuilder()
        try first.insert(key: "1", name: "one")
        try first.insert(key: "2", name: "two")
        let second = KeyTableBuilder()
        try second.insert(key: "2", name: "second two")
        try second.insert(key: "3", name: "three")
        try first.absorb(second)
        let table = first.build()
        #expect(table.keyKind == .integer)
        #expect(table.count == 3)
        #expect(table.duplicates == 1)
        #expect(["1", "2", "3"].map { table.name(forKey: $0) } == ["one", "two", "three"])
    }

    @Test func aTextPartitionMakesTheWholeTableText() throws {
        let first = KeyTableBuilder()
        try first.insert(key: "1", name: "one")
        let second = KeyTableBuilder()
        try second.insert(key: "x", name: "ex")
        let empty = KeyTableBuilder()
        try first.absorb(empty)
        try first.absorb(second)
        let table = first.build()
        #expect(table.keyKind == .text)
        #expect(table.name(forKey: "1") == "one")
        #expect(table.name(forKey: "x") == "ex")
    }
}
