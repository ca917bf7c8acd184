import NameIndexCore
import NameIndexSources
import Testing

/// PostgreSQL's binary COPY stream, as `COPY (…) TO STDOUT (FORMAT binary)` sends it: every edge
/// of the format, split anywhere between messages, and hostile bytes that must fail cleanly.
@Suite struct PostgresBinaryCopyTests {
    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    static func be32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    static func be16(_ v: Int16) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    static func be64(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }

    static func header(flags: Int32 = 0, extensionBytes: [UInt8] = []) -> [UInt8] {
        signature + be32(flags) + be32(Int32(extensionBytes.count)) + extensionBytes
    }

    static func field(_ bytes: [UInt8]?) -> [UInt8] {
        guard let bytes else { return be32(-1) }
        return be32(Int32(bytes.count)) + bytes
    }

    static func textRow(_ key: String?, _ name: String?) -> [UInt8] {
        be16(2) + field(key.map { Array($0.utf8) }) + field(name.map { Array($0.utf8) })
    }

    static func intRow(_ key: Int64?, _ name: String?) -> [UInt8] {
        be16(2) + field(key.map(be64)) + field(name.map { Array($0.utf8) })
    }

    static let trailer = be16(-1)

    /// Feeds `messages` one by one; the rows and skips that came out.
    static func parse(_ messages: [[UInt8]], key: PostgresBinaryCopy.KeyType = .text) throws -> (rows: [String], parser: PostgresBinaryCopy, batch: RowBatch) {
        var parser = PostgresBinaryCopy(keyType: key)
        var batch = RowBatch()
        for message in messages {
            try message.withUnsafeBytes { try parser.feed($0, into: &batch) }
        }
        try parser.finish()
        var rows: [String] = []
        batch.forEach { k, n in rows.append(String(decoding: k, as: UTF8.self) + "=" + String(decoding: n, as: UTF8.self)) }
        return (rows, parser, batch)
    }

    @Test func textKeysOneRowPerMessage() throws {
        let (rows, parser, batch) = try Self.parse([Self.header(), Self.textRow("a", "Zoë"), Self.textRow("b", "王"), Self.trailer])
        #expect(rows == ["a=Zoë", "b=王"])
        #expect(parser.rows == 2)
        #expect(batch.skipped.total == 0)
    }

    @Test func integerKeysBecomeTheirCanonicalText() throws {
        let (rows, _, _) = try Self.parse(
            [Self.header(), Self.intRow(42, "x"), Self.intRow(-7, "y"), Self.intRow(.max, "z"), Self.intRow(.min, "w"), Self.trailer], key: .int8)
        #expect(rows == ["42=x", "-7=y", "9223372036854775807=z", "-9223372036854775808=w"])
    }

    @Test func nullKeysAndNamesAreSkippedAndCountedAsNull() throws {
        let (rows, parser, batch) = try Self.parse(
            [Self.header(), Self.textRow(nil, "x"), Self.textRow("k", nil), Self.textRow("", "x"), Self.textRow("ok", "y"), Self.trailer])
        #expect(rows == ["ok=y"])
        #expect(batch.skipped == SkipCounts(null: 2, empty: 1))
        #expect(parser.rows == 4, "every tuple the server sent counts, for the COPY n check")
    }

    @Test func invalidUTF8IsCounted() throws {
        var bad = Self.be16(2) + Self.field(Array("k".utf8)) + Self.field([0xC3, 0x28])
        bad += Self.textRow("k2", "fine")
        let (rows, _, batch) = try Self.parse([Self.header(), bad, Self.trailer])
        #expect(rows == ["k2=fine"])
        #expect(batch.skipped.invalidUTF8 == 1)
    }

    @Test func aStreamCutAtEveryByteParsesTheSame() throws {
        let whole = Self.header(extensionBytes: [1, 2, 3]) + Self.textRow("a", "Zoë") + Self.textRow("1", "n")
            + Self.textRow(nil, "z") + Self.textRow("long", String(repeating: "x", count: 300)) + Self.trailer
        let expected = try Self.parse([whole]).rows
        for cut in 1..<whole.count {
            let (rows, _, _) = try Self.parse([Array(whole[..<cut]), Array(whole[cut...])])
            #expect(rows == expected, "cut at \(cut)")
        }
        // And one byte per message.
        #expect(try Self.parse(whole.map { [$0] }).rows == expected)
    }

    @Test(arguments: [
        ("a bad signature", Array("PGCOPX\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0, 0, 0, 0, 0], "not PostgreSQL's binary COPY"),
        ("OIDs", PostgresBinaryCopyTests.header(flags: 1 << 16), "with OIDs"),
        ("a negative extension", PostgresBinaryCopyTests.signature + PostgresBinaryCopyTests.be32(0) + PostgresBinaryCopyTests.be32(-5), "header extension"),
        ("three columns", PostgresBinaryCopyTests.header() + PostgresBinaryCopyTests.be16(3), "3 columns"),
        ("a negative length", PostgresBinaryCopyTests.header() + PostgresBinaryCopyTests.be16(2) + PostgresBinaryCopyTests.be32(-2), "field length -2"),
        ("a field too long", PostgresBinaryCopyTests.header() + PostgresBinaryCopyTests.be16(2) + PostgresBinaryCopyTests.be32(Int32.max), "field length"),
        ("an int8 of 4 bytes", PostgresBinaryCopyTests.header() + PostgresBinaryCopyTests.be16(2) + PostgresBinaryCopyTests.field([0, 0, 0, 1]) + PostgresBinaryCopyTests.field([65]), "not 8"),
        ("bytes after the trailer", PostgresBinaryCopyTests.header() + PostgresBinaryCopyTests.trailer + [0], "after the end"),
    ])
    func hostileBytesFailWithAClearError(_ what: String, _ bytes: [UInt8], _ message: String) {
        var parser = PostgresBinaryCopy(keyType: .int8, maximumFieldBytes: 1 << 20)
        var batch = RowBatch()
        do {
            try bytes.withUnsafeBytes { try parser.feed($0, into: &batch) }
            try parser.finish()
            Issue.record("\(what): accepted")
        } catch let error as SourceError {
            #expect(error.message.contains(message), "\(what): \(error.message)")
        } catch {
            Issue.record("\(what): \(error)")
        }
    }

    @Test func aStreamThatEndsEarlyFails() throws {
        for bytes in [[], Self.header(), Self.header() + Self.textRow("a", "b"), Array((Self.header() + Self.textRow("a", "b")).dropLast())] {
            var parser = PostgresBinaryCopy(keyType: .text)
            var batch = RowBatch()
            try bytes.withUnsafeBytes { try parser.feed($0, into: &batch) }
            #expect(throws: SourceError.self) { try parser.finish() }
        }
    }

    @Test func aPartialRowIsHeldWithinTheFieldBound() throws {
        // A field announced at 1 MiB + 1 is refused before its bytes arrive.
        var parser = PostgresBinaryCopy(keyType: .text, maximumFieldBytes: 1 << 20)
        var batch = RowBatch()
        let bytes = Self.header() + Self.be16(2) + Self.be32((1 << 20) + 1)
        #expect(throws: SourceError.self) { try bytes.withUnsafeBytes { try parser.feed($0, into: &batch) } }
    }
}
