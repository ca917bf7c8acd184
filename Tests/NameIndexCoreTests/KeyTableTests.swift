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

@Suite struct BatchLookupTests {
    @Test(arguments: [KeyTable.KeyKind.text, .integer])
    func answersExactlyAsSingleLookupsDo(_ kind: KeyTable.KeyKind) throws {
        let builder = KeyTableBuilder()
        for i in 0..<20_000 { try builder.insert(key: kind == .text ? "k\(i)" : "\(i * 5)", name: "n\(i)") }
        let table = builder.build()
        // Hits, misses, keys that cannot be integers, empty keys: in one batch of an odd size.
        let keys: [[UInt8]] = (0..<1_003).map { i in
            switch i % 4 {
            case 0: Array((kind == .text ? "k\(i * 7)" : "\(i * 35)").utf8)
            case 1: Array("missing-\(i)".utf8)
            case 2: Array("\(i * 5 + 1)".utf8)
            default: []
            }
        }
        var batched = [String?](repeating: "unset", count: keys.count)
        let flat = keys.flatMap { $0 }
        let ends = keys.reduce(into: [Int]()) { $0.append(($0.last ?? 0) + $1.count) }
        flat.withUnsafeBytes { all in
            table.names(count: keys.count, key: { i in UnsafeRawBufferPointer(rebasing: all[(i == 0 ? 0 : ends[i - 1])..<ends[i]]) }) {
                batched[$0] = $1.map { String(decoding: $0, as: UTF8.self) }
            }
        }
        for (i, key) in keys.enumerated() {
            let single = key.withUnsafeBytes { table.name(forKey: $0).map { String(decoding: $0, as: UTF8.self) } }
            #expect(batched[i] == single, "key \(i)")
        }
        #expect(batched.compactMap { $0 }.count == (0..<1_003).filter { $0 % 4 == 0 }.count)
    }
}

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
