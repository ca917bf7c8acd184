/// A batch of rows on its way from a source to a table builder.
///
/// Keys and names are kept as byte ranges into one buffer, so a batch of
/// thousands of rows costs two allocations rather than one `String` per field.
/// Sources fill batches; ``KeyTableBuilder`` drains them.
public struct RowBatch: Sendable {
    /// Where one row's key and name sit in ``bytes``.
    public struct Row: Sendable, Equatable {
        public var keyStart: Int
        public var keyCount: Int
        public var nameStart: Int
        public var nameCount: Int
    }

    public private(set) var bytes: [UInt8] = []
    public private(set) var rows: [Row] = []
    /// Rows the source read but did not pass on, by reason.
    public var skipped = SkipCounts()
    /// What the source noticed in these rows that an operator should know (a prompt before
    /// the data); the fetch engine writes them to the journal. Empty, and free, almost always.
    public var notices: [String] = []

    public init(reservingBytes: Int = 0, rows rowCapacity: Int = 0) {
        bytes.reserveCapacity(reservingBytes)
        rows.reserveCapacity(rowCapacity)
    }

    public var count: Int { rows.count }
    public var isEmpty: Bool { rows.isEmpty && skipped.total == 0 }
    public var byteCount: Int { bytes.count }

    /// Appends a row whose key and name have already been checked.
    public mutating func append(key: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) {
        let keyStart = bytes.count
        bytes.append(contentsOf: key)
        let nameStart = bytes.count
        bytes.append(contentsOf: name)
        rows.append(Row(keyStart: keyStart, keyCount: key.count, nameStart: nameStart, nameCount: name.count))
    }

    /// Appends a row if it may be loaded, or counts why not: an empty key or
    /// name as `empty`, a key or name that is not UTF-8 as `invalidUTF8`.
    ///
    /// Every source applies its rows through this, so the rule is the same everywhere.
    public mutating func appendIfValid(key: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) {
        if key.isEmpty || name.isEmpty {
            skipped.empty += 1
        } else if !UTF8Validation.isValid(key) || !UTF8Validation.isValid(name) {
            skipped.invalidUTF8 += 1
        } else {
            append(key: key, name: name)
        }
    }

    /// Per row of a delta, where its watermark sits in ``bytes`` (an empty range: none); empty
    /// for the rows of a full load.
    public private(set) var rowWatermarks: [Range<Int>] = []
    /// The largest watermark of the delta rows read into this batch, skipped ones included
    /// (they were in the source at that point too).
    public private(set) var maximumWatermark: [UInt8]?

    /// Appends a row of a delta: with `deleted`, a tombstone (the key, an empty name);
    /// otherwise a name, checked as ``appendIfValid(key:name:)`` checks it (nil is NULL).
    /// A watermark longer than ``Watermark/maximumBytes`` makes the row malformed.
    public mutating func appendDelta(
        key: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer?, deleted: Bool, watermark: UnsafeRawBufferPointer?
    ) {
        if let watermark {
            guard watermark.count <= Watermark.maximumBytes, UTF8Validation.isValid(watermark) else {
                skipped.malformed += 1
                return
            }
            if !watermark.isEmpty, maximumWatermark.map({ mark in mark.withUnsafeBytes { Watermark.compare(watermark, $0) > 0 } }) ?? true {
                maximumWatermark = Array(watermark)
            }
        }
        let before = rows.count
        if deleted {
            if key.isEmpty {
                skipped.empty += 1
            } else if !UTF8Validation.isValid(key) {
                skipped.invalidUTF8 += 1
            } else {
                append(key: key, name: UnsafeRawBufferPointer(start: nil, count: 0))
            }
        } else if let name {
            appendIfValid(key: key, name: name)
        } else {
            skipped.null += 1
        }
        guard rows.count > before else { return }
        while rowWatermarks.count < before { rowWatermarks.append(0..<0) }
        let start = bytes.count
        if let watermark { bytes.append(contentsOf: watermark) }
        rowWatermarks.append(start..<bytes.count)
    }

    /// Appends every row of `other` as it is (its rows were checked when they went in), with
    /// its watermarks; its skips and largest watermark are the caller's to count.
    public mutating func appendRows(of other: RowBatch) {
        let shift = bytes.count
        while rowWatermarks.count < rows.count { rowWatermarks.append(0..<0) }
        bytes.append(contentsOf: other.bytes)
        for (i, row) in other.rows.enumerated() {
            rows.append(Row(keyStart: row.keyStart + shift, keyCount: row.keyCount, nameStart: row.nameStart + shift, nameCount: row.nameCount))
            let mark = i < other.rowWatermarks.count ? other.rowWatermarks[i] : 0..<0
            rowWatermarks.append(mark.isEmpty ? 0..<0 : mark.lowerBound + shift..<mark.upperBound + shift)
        }
    }

    /// Calls `body` with the key, name (empty: a tombstone) and watermark (empty: none) of
    /// every row of a delta, in order.
    public func forEachDeltaRow(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            for (i, row) in rows.enumerated() {
                let mark = i < rowWatermarks.count ? rowWatermarks[i] : 0..<0
                try body(
                    UnsafeRawBufferPointer(rebasing: all[row.keyStart..<row.keyStart + row.keyCount]),
                    UnsafeRawBufferPointer(rebasing: all[row.nameStart..<row.nameStart + row.nameCount]),
                    UnsafeRawBufferPointer(rebasing: all[mark]))
            }
        }
    }

    /// Calls `body` once with the key, name and watermark of every delta row, valid inside it.
    public func withDeltaRows<R>(
        _ body: ([(key: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer, watermark: UnsafeRawBufferPointer)]) throws -> R
    ) rethrows -> R {
        try bytes.withUnsafeBytes { all in
            try body(rows.enumerated().map { i, row in
                let mark = i < rowWatermarks.count ? rowWatermarks[i] : 0..<0
                return (UnsafeRawBufferPointer(rebasing: all[row.keyStart..<row.keyStart + row.keyCount]),
                        UnsafeRawBufferPointer(rebasing: all[row.nameStart..<row.nameStart + row.nameCount]),
                        UnsafeRawBufferPointer(rebasing: all[mark]))
            })
        }
    }

    /// Appends a row given as strings; for tests and small inputs.
    public mutating func append(key: String, name: String) {
        var k = key
        var v = name
        k.withUTF8 { kb in v.withUTF8 { vb in append(key: UnsafeRawBufferPointer(kb), name: UnsafeRawBufferPointer(vb)) } }
    }

    /// Drops the first row (its bytes stay, unused).
    public mutating func removeFirstRow() {
        if !rows.isEmpty { rows.removeFirst() }
    }

    /// Calls `body` with the keys of the first `count` rows (at most all of them).
    public func withKeys<R>(upTo count: Int, _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { all in
            try body(rows.prefix(count).map { UnsafeRawBufferPointer(rebasing: all[$0.keyStart..<$0.keyStart + $0.keyCount]) })
        }
    }

    /// Calls `body` with the key and name bytes of every row, in order.
    public func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            for row in rows {
                try body(
                    UnsafeRawBufferPointer(rebasing: all[row.keyStart..<row.keyStart + row.keyCount]),
                    UnsafeRawBufferPointer(rebasing: all[row.nameStart..<row.nameStart + row.nameCount]))
            }
        }
    }
}

/// Counts of rows that were read but not loaded, by reason.
public struct SkipCounts: Sendable, Equatable, Codable {
    /// Rows whose key or name was NULL: SQL's NULL, JSON's `null` or a missing member, or a
    /// field equal to the source's `null_value`.
    public var null: Int = 0
    /// Rows whose key or name was empty.
    public var empty: Int = 0
    /// Rows whose key or name was not valid UTF-8.
    public var invalidUTF8: Int = 0
    /// Rows that could not be split into a key and a name (a missing column).
    public var malformed: Int = 0
    /// Lines (CSV: records) longer than the source's `max_line_bytes`, dropped unread.
    public var tooLong: Int = 0

    public init(null: Int = 0, empty: Int = 0, invalidUTF8: Int = 0, malformed: Int = 0, tooLong: Int = 0) {
        self.null = null
        self.empty = empty
        self.invalidUTF8 = invalidUTF8
        self.malformed = malformed
        self.tooLong = tooLong
    }

    public var total: Int { null + empty + invalidUTF8 + malformed + tooLong }

    public static func += (lhs: inout SkipCounts, rhs: SkipCounts) {
        lhs.null += rhs.null
        lhs.empty += rhs.empty
        lhs.invalidUTF8 += rhs.invalidUTF8
        lhs.malformed += rhs.malformed
        lhs.tooLong += rhs.tooLong
    }
}
