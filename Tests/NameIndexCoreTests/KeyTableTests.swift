import NameIndexCore
import Testing

func makeTable(_ rows: [(String, String)]) throws -> KeyTable {
    let builder = KeyTableBuilder()
    for (key, name) in rows { try builder.insert(key: key, name: name) }
    return builder.build()
}

@Suite struct KeyTableTests {
    @Test(arguments: [KeyTable.KeyKind.text, .integer])
    func findsEveryKeyWithItsExactNameAndMissesOthers(_ kind: KeyTable.KeyKind) throws {
        let key: @Sendable (Int) -> String = { kind == .text ? "P-\($0)-x" : "\($0 * 7 - 100_000)" }
        let builder = KeyTableBuilder()
        for i in 0..<50_000 { try builder.insert(key: key(i), name: "name \(i) é") }
        let table = builder.build()
        #expect(table.keyKind == kind)
        #expect(table.count == 50_000)
        for i in 0..<50_000 { #expect(table.name(forKey: key(i)) == "name \(i) é") }
        for i in 50_000..<51_000 { #expect(table.name(forKey: key(i)) == nil) }
        #expect(table.name(forKey: "") == nil)
        #expect(table.name(forKey: "not a number") == nil)
    }

    @Test func keepsTheFirstRowOfARepeatedKeyAndCountsTheRepeats() throws {
        for keys in [["1", "1", "1"], ["a", "a", "a"]] {
            let table = try makeTable(zip(keys, ["first", "second", "third"]).map { ($0, $1) })
            #expect(table.name(forKey: keys[0]) == "first")
            #expect(table.count == 1)
            #expect(table.duplicates == 2)
            var seen = 0
            table.forEachEntry { _, _ in seen += 1 }
            #expect(seen == 1)
        }
    }

    @Test func anEmptyTableAnswersNothing() {
        let table = KeyTable.empty()
        #expect(table.count == 0)
        #expect(table.keyKind == .text)
        #expect(table.name(forKey: "anything") == nil)
        var visited = 0
        table.forEachEntry { _, _ in visited += 1 }
        #expect(visited == 0)
    }

    @Test func storesNamesOf64KiB() throws {
        let long = String(repeating: "ä", count: 32 * 1024)  // 64 KiB of UTF-8
        for key in ["long", "12"] {
            let table = try makeTable([(key, long), ("7", "seven")])
            #expect(table.name(forKey: key) == long)
            #expect(table.nameBytes == 65_536 + 5)
        }
    }

    @Test func keysThatAreNotCanonicalIntegersKeepTheTableText() throws {
        for odd in ["007", "+7", "-0", " 7", "7 ", "1e3", "99999999999999999999", "-"] {
            let table = try makeTable([("1", "one"), (odd, "odd"), ("2", "two")])
            #expect(table.keyKind == .text, "\(odd)")
            #expect(table.name(forKey: odd) == "odd")
            #expect(table.name(forKey: "1") == "one")
            if odd == "007" || odd == "-0" || odd == "+7" { #expect(table.name(forKey: "7") == nil) }
        }
    }

    @Test func integerTablesAnswerOnlyTheCanonicalSpelling() throws {
        let table = try makeTable([("7", "seven"), ("-12", "minus twelve"), ("0", "zero")])
        #expect(table.keyKind == .integer)
        #expect(table.name(forKey: "7") == "seven")
        #expect(table.name(forKey: "-12") == "minus twelve")
        #expect(table.name(forKey: "0") == "zero")
        for other in ["07", "+7", "-0", "7.0", " 7"] { #expect(table.name(forKey: other) == nil) }
    }

    @Test func integerTablesHoldTheExtremesOfInt64() throws {
        let keys = ["9223372036854775807", "-9223372036854775808", "1", "-1"]
        let table = try makeTable(keys.map { ($0, "n" + $0) })
        #expect(table.keyKind == .integer)
        for key in keys { #expect(table.name(forKey: key) == "n" + key) }
        var listed: [String] = []
        table.forEachEntry { key, _ in listed.append(String(decoding: key, as: UTF8.self)) }
        #expect(listed.sorted() == keys.sorted())
        #expect(table.keyBytes == keys.map(\.utf8.count).reduce(0, +))
    }

    @Test(arguments: [KeyTable.KeyKind.text, .integer])
    func visitsEveryEntryOnce(_ kind: KeyTable.KeyKind) throws {
        let builder = KeyTableBuilder()
        for i in 0..<5_000 { try builder.insert(key: kind == .text ? "k\(i)" : "\(i)", name: "n\(i)") }
        let table = builder.build()
        var keys = Set<String>()
        table.forEachEntry { key, name in
            let k = String(decoding: key, as: UTF8.self)
            #expect(String(decoding: name, as: UTF8.self) == "n" + k.drop { $0 == "k" })
            keys.insert(k)
        }
        #expect(keys.count == 5_000)
    }

    @Test func compactnessIsWithinTheBudget() throws {
        // 100k integer ids with 20-byte names: the whole table must stay within names + 12 B per entry.
        let builder = KeyTableBuilder()
        let name = String(repeating: "x", count: 20)
        for i in 0..<100_000 { try builder.insert(key: "\(1_000_000 + i)", name: name) }
        let table = builder.build()
        #expect(table.memoryBytes <= table.nameBytes + 12 * table.count)
        // Text keys: overhead beyond key and name bytes within 16 B per entry.
        let textBuilder = KeyTableBuilder()
        for i in 0..<100_000 { try textBuilder.insert(key: "P-\(1_000_000 + i)-x", name: name) }
        let text = textBuilder.build()
        #expect(text.memoryBytes - text.keyBytes - text.nameBytes <= 16 * text.count)
    }

    @Test func addsBatches() throws {
        var batch = RowBatch()
        batch.append(key: "a", name: "Alpha")
        batch.append(key: "b", name: "Beta")
        let builder = KeyTableBuilder()
        try builder.add(batch)
        let table = builder.build()
        #expect(table.name(forKey: "a") == "Alpha")
        #expect(table.name(forKey: "b") == "Beta")
    }
}
