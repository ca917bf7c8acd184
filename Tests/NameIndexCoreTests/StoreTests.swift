import NameIndexCore
import Testing

@Suite struct StoreTests {
    @Test func swapsAndReturnsThePreviousGeneration() {
        let store = Store()
        #expect(store.current == nil)
        let one = Index.empty(generation: 1)
        #expect(store.swap(one) == nil)
        #expect(store.current === one)
        let two = Index.empty(generation: 2)
        #expect(store.swap(two) === one)
        #expect(store.current?.generation == 2)
    }

    @Test func aWaitingReaderGetsTheFirstGeneration() async {
        let store = Store()
        async let waited = store.servingIndex()
        // Give the reader time to start waiting; it must get the index either way.
        try? await Task.sleep(for: .milliseconds(20))
        store.swap(Index.empty(generation: 7))
        #expect(await waited?.generation == 7)
    }

    @Test func closingReleasesReadersWaitingForAFirstGeneration() async {
        let store = Store()
        async let waited = store.servingIndex()
        try? await Task.sleep(for: .milliseconds(20))
        store.close()
        #expect(await waited == nil)
        #expect(await store.servingIndex() == nil)  // and later callers do not wait either
        store.swap(Index.empty(generation: 3))
        #expect(await store.servingIndex()?.generation == 3)
    }

    @Test func lookupsDuringSwapsSeeOneWholeGeneration() async {
        // Generation g maps every key to "g<g>"; a batch must never mix two.
        func generation(_ g: Int) -> Index {
            let builder = KeyTableBuilder()
            for k in 0..<200 { try! builder.insert(key: "\(k)", name: "g\(g)") }
            var index = IndexBuilder(generation: UInt64(g), createdAtMicroseconds: 0)
            index.add(source: "s", namespace: "n", table: builder.build())
            return index.build()
        }
        let store = Store(index: generation(0))
        let keys = (0..<200).map { "\($0)" }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for g in 1...200 { store.swap(generation(g)) }
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<500 {
                        let index = store.current!
                        let names = index.lookup(namespace: "n", keys: keys)!
                        #expect(Set(names) == ["g\(index.generation)"])
                    }
                }
            }
        }
    }
}
