import NameIndexCore
import Testing

@Suite struct IndexTests {
    static func table(_ rows: [(String, String)]) -> KeyTable {
        let builder = KeyTableBuilder()
        for (key, name) in rows { try! builder.insert(key: key, name: name) }
        return builder.build()
    }

    @Test func theFirstListedSourceWinsAndShadowedKeysAreCounted() {
        var builder = IndexBuilder(generation: 3, createdAtMicroseconds: 1_000)
        builder.add(source: "employees", namespace: "user", table: Self.table([("1", "Ana"), ("2", "Björn")]))
        builder.add(source: "contractors", namespace: "user", table: Self.table([("2", "B. (contractor)"), ("3", "Chloé")]))
        builder.add(source: "products", namespace: "product", table: Self.table([("2", "Torch")]))
        let index = builder.build()

        #expect(index.generation == 3)
        #expect(index.lookup(namespace: "user", keys: ["1", "2", "3", "4"]) == ["Ana", "Björn", "Chloé", nil])
        #expect(index.lookup(namespace: "product", keys: ["2"]) == ["Torch"])
        #expect(index.lookup(namespace: "nope", keys: ["1"]) == nil)
        #expect(index.namespaceSummaries == [.init(name: "product", entries: 1), .init(name: "user", entries: 3)])
        #expect(index.entryCount == 4)
        #expect(index.sources.map(\.shadowed) == [0, 1, 0])
    }

    /// Namespaces are found by name and by their bytes, with few (a list) and many (a search).
    @Test(arguments: [3, 40])
    func namespacesAreFoundByNameAndByBytes(count: Int) {
        var builder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        let names = (0..<count).map { i in ["user", "Team", "a:b", "z-9", "A"][i % 5] + (i < 5 ? "" : "\(i)") }
        for (i, name) in names.enumerated() {
            builder.add(source: "s\(i)", namespace: name, table: Self.table([("k", name)]))
        }
        let index = builder.build()
        #expect(index.namespaceCount == count)
        for name in names {
            let found = Array("k".utf8).withUnsafeBytes { index.name(namespace: name, key: $0).map { String(decoding: $0, as: UTF8.self) } }
            #expect(found == name)
            let slot = Array(name.utf8).withUnsafeBytes { index.namespaceSlot($0) }
            #expect(slot.map(index.namespaceName(slot:)) == name)
        }
        for absent in ["", "use", "users", "Z", "~"] {
            #expect(index.lookup(namespace: absent, keys: ["k"]) == nil)
            #expect(Array(absent.utf8).withUnsafeBytes { index.namespaceSlot($0) } == nil)
        }
    }

    @Test func theOrderOfAddingDecidesNotTheOrderOfFinishing() {
        var builder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        builder.add(source: "b", namespace: "n", table: Self.table([("k", "from b")]))
        builder.add(source: "a", namespace: "n", table: Self.table([("k", "from a")]))
        #expect(builder.build().lookup(namespace: "n", keys: ["k"]) == ["from b"])
    }

    @Test func anEmptySourceStillCreatesItsNamespace() {
        var builder = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        builder.add(source: "empty", namespace: "user", table: KeyTable.empty())
        let index = builder.build()
        #expect(index.hasNamespace("user"))
        #expect(index.lookup(namespace: "user", keys: ["1"]) == [nil])
        #expect(index.namespaceSummaries == [.init(name: "user", entries: 0)])
    }

    @Test func tablesCanBeCarriedIntoTheNextGeneration() {
        let kept = Self.table([("1", "kept")])
        var first = IndexBuilder(generation: 1, createdAtMicroseconds: 0)
        first.add(source: "s", namespace: "n", table: kept)
        let old = first.build()
        var second = IndexBuilder(generation: 2, createdAtMicroseconds: 0)
        second.add(source: "s", namespace: "n", table: old.table(forSource: "s")!)
        let new = second.build()
        #expect(new.table(forSource: "s") === kept)
        #expect(new.lookup(namespace: "n", keys: ["1"]) == ["kept"])
    }
}
