import NameIndexCore
import NameIndexSources
import Testing

/// The four columns of a delta in binary COPY: key, name, `bool` deleted, `text` watermark.
@Suite struct PostgresBinaryCopyDeltaTests {
    typealias P = PostgresBinaryCopyTests

    static func row(_ key: [UInt8]?, _ name: String?, _ deleted: [UInt8]?, _ watermark: String?) -> [UInt8] {
        P.be16(4) + P.field(key) + P.field(name.map { Array($0.utf8) }) + P.field(deleted) + P.field(watermark.map { Array($0.utf8) })
    }

    static let stream = P.header()
        + row(P.be64(7), "seven", [0], "2026-12-01 10:00:00+00")
        + row(P.be64(-2), nil, [1], "2026-12-01 11:00:00+00")
        + row(nil, "no key", [0], "2026-12-02 00:00:00+00")
        + row(P.be64(9), "nine", nil, nil)
        + P.trailer

    func parse(_ bytes: [UInt8], chunk: Int) throws -> (rows: [String], batch: RowBatch) {
        var parser = PostgresBinaryCopy(keyType: .int8, delta: true)
        var batch = RowBatch()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            try Array(bytes[offset..<end]).withUnsafeBytes { try parser.feed($0, into: &batch) }
            offset = end
        }
        try parser.finish()
        var rows: [String] = []
        batch.forEachDeltaRow { k, n, w in
            rows.append([k, n, w].map { String(decoding: $0, as: UTF8.self) }.joined(separator: "|"))
        }
        return (rows, batch)
    }

    @Test func everyRowWhereverTheMessagesSplit() throws {
        for chunk in [1, 2, 3, 5, 8, 13, 1000] {
            let (rows, batch) = try parse(Self.stream, chunk: chunk)
            #expect(rows == ["7|seven|2026-12-01 10:00:00+00", "-2||2026-12-01 11:00:00+00", "9|nine|"], "chunk \(chunk)")
            #expect(batch.skipped == SkipCounts(null: 1))
            #expect(batch.maximumWatermark.map { String(decoding: $0, as: UTF8.self) } == "2026-12-01 11:00:00+00")
        }
    }

    @Test func aFlagThatIsNotABoolAndAFullLoadsRowShapeFail() throws {
        #expect(throws: SourceError.self) { try parse(P.header() + Self.row(P.be64(1), "a", [0, 1], "w") + P.trailer, chunk: 100) }
        #expect(throws: SourceError.self) { try parse(P.header() + P.intRow(1, "two columns") + P.trailer, chunk: 100) }
    }
}
