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
    /// The first ``SkippedRow/maximumPerBatch`` rows skipped in this batch, with where they
    /// were and their bytes; empty, and free, while no row is skipped.
    public var skippedRows: [SkippedRow] = []

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
    /// name as `empty`, a key or name that is not UTF-8 as `invalidUTF8`. `raw` is the row as
    /// read (nil: key and name joined by a tab) and `locator` where it was, for the sample.
    ///
    /// Every source applies its rows through this, so the rule is the same everywhere.
    public mutating func appendIfValid(
        key: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer, raw: UnsafeRawBufferPointer? = nil, at locator: RowLocator = .none
    ) {
        if key.isEmpty || name.isEmpty {
            skip(.empty, raw: raw, key: key, name: name, at: locator)
        } else if !UTF8Validation.isValid(key) || !UTF8Validation.isValid(name) {
            skip(.invalidUTF8, raw: raw, key: key, name: name, at: locator)
        } else {
            append(key: key, name: name)
        }
    }

    /// Counts a row skipped for `reason` and keeps it in the sample while there is room: `raw`
    /// is the row as read (nil: `key` and `name` joined by a tab, as SQL rows are shown).
    public mutating func skip(
        _ reason: SkipReason, raw: UnsafeRawBufferPointer?, key: UnsafeRawBufferPointer? = nil,
        name: UnsafeRawBufferPointer? = nil, at locator: RowLocator
    ) {
        skipped.count(reason)
        guard skippedRows.count < SkippedRow.maximumPerBatch else { return }
        var row = SkippedRow(reason: reason, locator: locator)
        if let raw {
            row.rawBytes = raw.count
            row.raw = Array(raw.prefix(SkippedRow.maximumRawBytes))
        } else {
            var joined = Array((key ?? UnsafeRawBufferPointer(start: nil, count: 0)).prefix(SkippedRow.maximumRawBytes))
            if let name {
                joined.append(0x09)
                joined += name.prefix(max(0, SkippedRow.maximumRawBytes - joined.count))
            }
            row.rawBytes = (key?.count ?? 0) + (name.map { $0.count + 1 } ?? 0)
            row.raw = Array(joined.prefix(SkippedRow.maximumRawBytes))
        }
        if let key, !key.isEmpty { row.key = Array(key.prefix(SkippedRow.maximumRawBytes)) }
        skippedRows.append(row)
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
        key: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer?, deleted: Bool, watermark: UnsafeRawBufferPointer?,
        raw: UnsafeRawBufferPointer? = nil, at locator: RowLocator = .none
    ) {
        if let watermark {
            guard watermark.count <= Watermark.maximumBytes, UTF8Validation.isValid(watermark) else {
                skip(.malformed, raw: raw, key: key, name: name, at: locator)
                return
            }
            if !watermark.isEmpty, maximumWatermark.map({ mark in mark.withUnsafeBytes { Watermark.compare(watermark, $0) > 0 } }) ?? true {
                maximumWatermark = Array(watermark)
            }
        }
        let before = rows.count
        if deleted {
            if key.isEmpty {
                skip(.empty, raw: raw, key: key, at: locator)
            } else if !UTF8Validation.isValid(key) {
                skip(.invalidUTF8, raw: raw, key: key, at: locator)
            } else {
                append(key: key, name: UnsafeRawBufferPointer(start: nil, count: 0))
            }
        } else if let name {
            appendIfValid(key: key, name: name, raw: raw, at: locator)
        } else {
            skip(.null, raw: raw, key: key, at: locator)
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

/// Why a row was not loaded.
public enum SkipReason: String, Sendable, CaseIterable, Codable {
    case null, empty
    case invalidUTF8 = "invalid_utf8"
    case malformed
    case tooLong = "too_long"
    /// A key an earlier source of the namespace holds too (it answers; this one is hidden).
    case shadowed
}

/// Where a row was in what its source read; each kind of source sets what it knows.
public struct RowLocator: Sendable, Equatable, Codable {
    /// The line (1-based) of a file or a command's output where the row began.
    public var line: Int?
    /// The byte offset of the row's first byte in the file or the output.
    public var offset: Int?
    /// The row (1-based) of a query's result, in its partition.
    public var row: Int?

    public init(line: Int? = nil, offset: Int? = nil, row: Int? = nil) {
        self.line = line
        self.offset = offset
        self.row = row
    }

    public static let none = RowLocator()
}

/// A row a source read and skipped, as the sample keeps it: its bytes cut at
/// ``maximumRawBytes``, and where it was. The fetch adds which partition, and the stream
/// which file, when they say more.
public struct SkippedRow: Sendable, Equatable, Codable {
    public static let maximumRawBytes = 200
    /// Rows kept per batch; a source keeps its first `skipped_sample` over all of them.
    public static let maximumPerBatch = 100

    public var reason: SkipReason
    public var locator: RowLocator
    /// The partition (0-based) of a source fetched in more than one; set by the fetch.
    public var partition: Int?
    /// What was read: a file's path, or nil for a command's output or a query's result.
    public var input: String?
    public var raw: [UInt8] = []
    /// The row's length before the cut.
    public var rawBytes = 0
    /// The key, cut as `raw` is, when the row had one.
    public var key: [UInt8]?
    /// For `shadowed`: the earlier source that holds the key.
    public var shadowedBy: String?

    public init(reason: SkipReason, locator: RowLocator = .none) {
        self.reason = reason
        self.locator = locator
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

    /// Counts one row skipped for `reason` (`shadowed` is not counted here: the index counts it).
    public mutating func count(_ reason: SkipReason) {
        switch reason {
        case .null: null += 1
        case .empty: empty += 1
        case .invalidUTF8: invalidUTF8 += 1
        case .malformed: malformed += 1
        case .tooLong: tooLong += 1
        case .shadowed: break
        }
    }

    public static func += (lhs: inout SkipCounts, rhs: SkipCounts) {
        lhs.null += rhs.null
        lhs.empty += rhs.empty
        lhs.invalidUTF8 += rhs.invalidUTF8
        lhs.malformed += rhs.malformed
        lhs.tooLong += rhs.tooLong
    }
}
