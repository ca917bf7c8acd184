import NameIndexCore
import Testing

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
