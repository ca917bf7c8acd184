@testable import NameIndexCore
import Testing

@Suite struct WatermarkTests {
    @Test func integersCompareAsNumbersAndTextByBytes() {
        #expect(Watermark.compare("9", "10") < 0)
        #expect(Watermark.compare("-5", "3") < 0)
        #expect(Watermark.compare("10", "10") == 0)
        #expect(Watermark.compare("2026-12-02 10:00:00.5+00", "2026-12-02 10:00:00+00") > 0)
        #expect(Watermark.compare("2026-12-02 09:59:59", "2026-12-02 10:00:00") < 0)
        // Mixed: an integer before any other text.
        #expect(Watermark.compare("9", "10a") < 0)
        #expect(Watermark.compare("07", "7") < 0 && Watermark.compare("7", "07") > 0)
        #expect(Watermark.later(nil, "3") == "3")
        #expect(Watermark.later("12", "3") == "12")
        // Too long to be an integer here: byte-wise, not an overflow.
        #expect(Watermark.compare("9999999999999999999999", "1") > 0)
    }

    /// A total order, so the largest watermark of a delta does not depend on the order its rows
    /// came in (or on where its batches ended): found by the rows fuzz target, where byte-wise
    /// order across kinds made 2 < 10 < 1x < 2.
    @Test func theOrderIsTotal() {
        let values = ["2", "10", "1x", "-3", "07", "7", "", "a", "2026-12-01", "9999999999999999999", "-", "0", "00"]
        for a in values {
            #expect(Watermark.compare(a, a) == 0)
            for b in values {
                #expect(Watermark.compare(a, b).signum() == -Watermark.compare(b, a).signum(), "\(a) \(b)")
                for c in values where Watermark.compare(a, b) < 0 && Watermark.compare(b, c) < 0 {
                    #expect(Watermark.compare(a, c) < 0, "\(a) < \(b) < \(c)")
                }
            }
        }
    }

    @Test func theLagMovesIntegersAndTimestampsBack() {
        #expect(Watermark.lagged("1000", by: .units(30)) == "970")
        #expect(Watermark.lagged("1000", by: .seconds(30)) == "970")
        #expect(Watermark.lagged("2026-12-02 10:00:10.123456+00", by: .seconds(30)) == "2026-12-02 09:59:40.123456+00")
        #expect(Watermark.lagged("2026-03-01T00:00:05Z", by: .seconds(10)) == "2026-02-28T23:59:55Z")
        #expect(Watermark.lagged("2024-03-01 00:00:00", by: .seconds(86_400)) == "2024-02-29 00:00:00")
        #expect(Watermark.lagged("2027-01-01 00:00:00", by: .seconds(1)) == "2026-12-31 23:59:59")
        // Neither: unchanged. No lag: unchanged.
        #expect(Watermark.lagged("v2026.12", by: .seconds(30)) == "v2026.12")
        #expect(Watermark.lagged("2026-12-02 10:00:10", by: .units(30)) == "2026-12-02 10:00:10")
        #expect(Watermark.lagged("5", by: .seconds(0)) == "5")
    }

    @Test func deletedFlags() {
        func flag(_ text: String) -> Bool? {
            var t = text
            return t.withUTF8 { Watermark.isDeleted(UnsafeRawBufferPointer($0)) }
        }
        for yes in ["true", "TRUE", "t", "1", "yes", "Y"] { #expect(flag(yes) == true, "\(yes)") }
        for no in ["false", "f", "0", "no", "N", ""] { #expect(flag(no) == false, "\(no)") }
        for bad in ["2", "maybe", "truee", "deleted"] { #expect(flag(bad) == nil, "\(bad)") }
    }
}

@Suite struct DeltaCollectorTests {
    func batch(_ rows: [(String, String?, Bool, String?)]) -> RowBatch {
        var batch = RowBatch()
        for (key, name, deleted, watermark) in rows {
            var k = key
            var n = name
            var w = watermark
            k.withUTF8 { kb in
                let wb = w?.withUTF8 { Array($0) }
                let nb = n?.withUTF8 { Array($0) }
                (nb ?? []).withUnsafeBytes { nameBytes in
                    (wb ?? []).withUnsafeBytes { markBytes in
                        batch.appendDelta(
                            key: UnsafeRawBufferPointer(kb), name: nb == nil ? nil : nameBytes, deleted: deleted,
                            watermark: wb == nil ? nil : markBytes)
                    }
                }
            }
            _ = (n, w)
        }
        return batch
    }

    @Test func theLatestRowOfAKeyWinsByWatermarkThenByArrival() throws {
        var collector = DeltaCollector()
        collector.add(batch([("1", "old", false, "5"), ("1", "newer", false, "10"), ("2", "a", false, "7")]))
        collector.add(batch([("1", "older", false, "9"), ("2", nil, true, "7"), ("3", "x", false, nil), ("4", nil, true, "8")]))
        let table = try collector.table()
        #expect(table.name(forKey: "1") == "newer")
        // Same watermark: the later row (the tombstone) wins.
        #expect(table.name(forKey: "2") == "")
        #expect(table.name(forKey: "3") == "x")
        #expect(table.name(forKey: "4") == "")
        #expect(table.count == 4)
        #expect(collector.maximumWatermark == "10")
    }

    @Test func badRowsAreCountedAndTheirWatermarkStillCounts() throws {
        var collector = DeltaCollector()
        let long = String(repeating: "9", count: Watermark.maximumBytes + 1)
        collector.add(batch([("", "empty key", false, "3"), ("1", nil, false, "12"), ("2", "", false, "4"), ("3", "n", false, long),
                             ("", nil, true, "1"), ("5", "five", false, "11")]))
        #expect(collector.skipped == SkipCounts(null: 1, empty: 3, malformed: 1))
        #expect(collector.maximumWatermark == "12")
        #expect(try collector.table().count == 1)
    }
}
