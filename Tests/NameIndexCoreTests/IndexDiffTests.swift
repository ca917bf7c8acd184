import NameIndexCore
import Testing

@Suite struct IndexDiffTests {
    func table(_ rows: [(String, String)]) -> KeyTable {
        let builder = KeyTableBuilder()
        for (k, n) in rows { try! builder.insert(key: k, name: n) }
        return builder.build()
    }

    func index(_ generation: UInt64, _ tables: [(String, String, KeyTable)]) -> Index {
        var builder = IndexBuilder(generation: generation, createdAtMicroseconds: 0)
        for (source, namespace, table) in tables { builder.add(source: source, namespace: namespace, table: table) }
        return builder.build()
    }

    @Test func countsAddedRemovedAndChangedPerNamespaceAsLookupsSeeThem() {
        let teams = table([("1", "Red")])
        let old = index(1, [
            ("employees", "user", table([("1", "Zoë"), ("2", "Ana"), ("3", "Bo")])),
            ("contractors", "user", table([("9", "Cy")])),
            ("teams", "team", teams),
            ("gone", "old", table([("x", "y")])),
        ])
        let new = index(2, [
            // 1 unchanged, 2 renamed, 3 removed, 4 added.
            ("employees", "user", table([("1", "Zoë"), ("2", "Ana B."), ("4", "Di")])),
            // 9 unchanged; 1 is shadowed by employees and so not a change.
            ("contractors", "user", table([("9", "Cy"), ("1", "Other")])),
            ("teams", "team", teams),
            ("fresh", "new", table([("a", "b"), ("c", "d")])),
        ])
        #expect(new.diff(from: old) == [
            NamespaceDiff(namespace: "new", added: 2, removed: 0, changed: 0),
            NamespaceDiff(namespace: "old", added: 0, removed: 1, changed: 0),
            NamespaceDiff(namespace: "team", added: 0, removed: 0, changed: 0),
            NamespaceDiff(namespace: "user", added: 1, removed: 1, changed: 1),
        ])
    }

    @Test func integerKeysCompareAsTheirText() {
        let old = index(1, [("s", "n", table([("42", "a"), ("-7", "b")]))])
        let new = index(2, [("s", "n", table([("42", "a"), ("-7", "c"), ("8", "d")]))])
        #expect(new.diff(from: old) == [NamespaceDiff(namespace: "n", added: 1, removed: 0, changed: 1)])
    }
}
