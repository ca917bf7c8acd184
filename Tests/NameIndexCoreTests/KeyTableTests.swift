import NameIndexCore
import Testing

@Suite struct KeyTableTests {
    @Test func findsEveryKeyWithItsExactNameAndMissesOthers() {
        let builder = KeyTableBuilder()
        for i in 0..<50_000 { builder.insert(key: "k\(i)", name: "name \(i) é") }
        let table = builder.build()
        #expect(table.count == 50_000)
        for i in stride(from: 0, to: 50_000, by: 7) {
            #expect(table.name(forKey: "k\(i)") == "name \(i) é")
        }
        for i in 50_000..<50_500 { #expect(table.name(forKey: "k\(i)") == nil) }
        #expect(table.name(forKey: "") == nil)
    }

    @Test func keepsTheFirstRowOfARepeatedKeyAndCountsTheRepeat() {
        let builder = KeyTableBuilder()
        #expect(builder.insert(key: "1", name: "first"))
        #expect(!builder.insert(key: "1", name: "second"))
        #expect(!builder.insert(key: "1", name: "third"))
        let table = builder.build()
        #expect(table.name(forKey: "1") == "first")
        #expect(table.count == 1)
        #expect(table.duplicates == 2)
    }

    @Test func anEmptyTableAnswersNothing() {
        let table = KeyTable.empty()
        #expect(table.count == 0)
        #expect(table.name(forKey: "anything") == nil)
        var visited = 0
        table.forEachEntry { _, _ in visited += 1 }
        #expect(visited == 0)
    }

    @Test func storesLongNamesAndBinaryIdenticalKeys() {
        let long = String(repeating: "ä", count: 32 * 1024)  // 64 KiB of UTF-8
        let builder = KeyTableBuilder()
        builder.insert(key: "long", name: long)
        builder.insert(key: "007", name: "leading zeros")
        builder.insert(key: "7", name: "seven")
        let table = builder.build()
        #expect(table.name(forKey: "long") == long)
        #expect(table.name(forKey: "007") == "leading zeros")
        #expect(table.name(forKey: "7") == "seven")
        #expect(table.nameBytes == long.utf8.count + "leading zeros".utf8.count + "seven".utf8.count)
    }

    @Test func visitsEveryEntryOnceInInsertionOrder() {
        let builder = KeyTableBuilder()
        for i in 0..<1000 { builder.insert(key: "\(i)", name: "n\(i)") }
        let table = builder.build()
        var keys: [String] = []
        table.forEachEntry { key, name in
            let k = String(decoding: key, as: UTF8.self)
            #expect(String(decoding: name, as: UTF8.self) == "n" + k)
            keys.append(k)
        }
        #expect(keys == (0..<1000).map { "\($0)" })
    }

    @Test func addsBatches() {
        var batch = RowBatch()
        batch.append(key: "a", name: "Alpha")
        batch.append(key: "b", name: "Beta")
        let builder = KeyTableBuilder()
        builder.add(batch)
        let table = builder.build()
        #expect(table.name(forKey: "a") == "Alpha")
        #expect(table.name(forKey: "b") == "Beta")
    }
}

@Suite struct NameHashTests {
    // The hash is part of the on-disk format: these values, computed by an
    // independent implementation of FNV-1a 64 + fmix64, must never change.
    @Test(arguments: [
        ("", 0xEFD0_1F60_BA99_2926 as UInt64),
        ("a", 0x82A2_A958_A9BE_CE5B),
        ("42", 0x810B_196A_56EE_3CEC),
        ("user:1001", 0xA4C6_BFA8_864F_AF62),
        ("Zoë", 0x3F8A_1B87_41A8_D7B9),
    ])
    func matchesTheDocumentedAlgorithm(_ input: String, _ expected: UInt64) {
        #expect(NameHash.hash(input) == expected)
    }
}
