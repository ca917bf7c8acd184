import NameIndexCore

/// A deterministic generator (SplitMix64), so every run measures the same data.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Rows shaped like warehouse data: integer ids (ascending with gaps) or text
/// ids such as `P-0001234-x`, and names of 8–30 bytes of which 10% are not ASCII.
struct SyntheticRows {
    enum KeyKind: String, CaseIterable {
        case integer, text
    }

    static let syllables = ["an", "ber", "ca", "do", "el", "fi", "ga", "ho", "in", "jo", "ka", "lu", "ma", "ne", "or", "pa", "ri", "so", "ta", "vi"]
    static let nonASCII = ["é", "ü", "ø", "ñ", "ç", "å", "王", "小", "明", "김", "민", "🌍", "ß", "ł", "ő"]

    let kind: KeyKind
    let count: Int
    let seed: UInt64

    /// The i-th key: ids grow by 1–3 so there are gaps; text ids carry a check letter.
    func key(_ i: Int) -> String {
        switch kind {
        case .integer: return String(1_000_000 + i * 3 + i % 3)  // strictly increasing, with gaps
        case .text:
            let digits = String(i)
            let letter = Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(i % 26)))
            return "P-" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits + "-" + String(letter)
        }
    }

    /// A key that is not in the data, for misses.
    func missingKey(_ i: Int) -> String {
        switch kind {
        case .integer: return String(-1 - i)
        case .text: return "Q-" + String(i) + "-z"
        }
    }

    func name(_ random: inout SplitMix64) -> String {
        let target = 8 + random.below(23)  // 8...30 bytes
        var name = ""
        let exotic = random.below(10) == 0
        while name.utf8.count < target {
            if exotic && random.below(3) == 0 {
                name += Self.nonASCII[random.below(Self.nonASCII.count)]
            } else {
                name += Self.syllables[random.below(Self.syllables.count)]
            }
            if name.utf8.count < target - 1 && random.below(5) == 0 { name += " " }
        }
        // Trim to at most 30 bytes without splitting a character.
        while name.utf8.count > 30 { name.removeLast() }
        return name
    }

    /// All rows, in batches of `batchRows`, as a source would deliver them.
    func batches(batchRows: Int = 8192) -> [RowBatch] {
        var random = SplitMix64(state: seed)
        var result: [RowBatch] = []
        result.reserveCapacity(count / batchRows + 1)
        var batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows)
        for i in 0..<count {
            batch.append(key: key(i), name: name(&random))
            if batch.count == batchRows {
                result.append(batch)
                batch = RowBatch(reservingBytes: batchRows * 40, rows: batchRows)
            }
        }
        if batch.count > 0 { result.append(batch) }
        return result
    }
}
