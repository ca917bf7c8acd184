/// The records of a TSV or CSV table read in chunks, each with the raw bytes of its fields, so
/// that a record can be written back exactly as it was with a column added (`namectl
/// annotate`).
///
/// - TSV: a record is a line (LF, or CRLF, which is kept); fields end at a tab; no quoting.
/// - CSV (RFC 4180): records end at a line end outside quotes, so a quoted field may hold
///   commas and line breaks; a field's value drops its quotes and reads `""` as `"`. A field
///   with text after its closing quote is read as it stands.
///
/// Linear in the input: every byte is looked at once when it arrives and once when its record
/// is split. A record longer than ``maximumRecordBytes`` is an error, so an unclosed quote
/// cannot make it hold the rest of the input.
public struct TableRecords {
    public enum Format: String, Sendable, CaseIterable {
        case tsv, csv
    }

    public struct Record: Sendable, Equatable {
        /// The record's bytes without its line end.
        public var bytes: [UInt8]
        /// Its line end: LF, CRLF, or none (the last record of an input without one).
        public var end: [UInt8]
        /// The raw range of each field in `bytes`, quotes included.
        public var fields: [Range<Int>]
    }

    public struct TooLong: Error, CustomStringConvertible {
        public var limit: Int
        public var record: Int
        public var description: String {
            "record \(record) is longer than \(limit) bytes (an unclosed quote?)"
        }
    }

    public static let defaultMaximumRecordBytes = 16 << 20

    public let format: Format
    public let maximumRecordBytes: Int
    private var pending: [UInt8] = []
    /// Where the scan of `pending` stopped, and whether it is inside quotes there.
    private var scanned = 0
    private var quoted = false
    private var records = 0

    public init(format: Format, maximumRecordBytes: Int = TableRecords.defaultMaximumRecordBytes) {
        self.format = format
        self.maximumRecordBytes = maximumRecordBytes
    }

    /// The records that `chunk` completes.
    public mutating func feed(_ chunk: some Collection<UInt8>) throws -> [Record] {
        pending.append(contentsOf: chunk)
        var out: [Record] = []
        var start = 0
        var i = scanned
        while i < pending.count {
            let byte = pending[i]
            if format == .csv && byte == 0x22 {
                quoted.toggle()
            } else if byte == 0x0A && !quoted {
                out.append(record(pending[start..<i], end: true))
                start = i + 1
            }
            i += 1
        }
        pending.removeFirst(start)
        scanned = pending.count
        if pending.count > maximumRecordBytes { throw TooLong(limit: maximumRecordBytes, record: records + 1) }
        return out
    }

    /// The last record, when the input did not end with a line end.
    public mutating func finish() -> Record? {
        guard !pending.isEmpty else { return nil }
        defer {
            pending = []
            scanned = 0
            quoted = false
        }
        return record(pending[...], end: false)
    }

    private mutating func record(_ line: ArraySlice<UInt8>, end: Bool) -> Record {
        records += 1
        var bytes = Array(line)
        var ending: [UInt8] = end ? [0x0A] : []
        if bytes.last == 0x0D {
            bytes.removeLast()
            ending.insert(0x0D, at: 0)
        }
        return Record(bytes: bytes, end: ending, fields: Self.split(bytes, format: format))
    }

    /// The raw ranges of the fields of `bytes`.
    static func split(_ bytes: [UInt8], format: Format) -> [Range<Int>] {
        let separator: UInt8 = format == .tsv ? 0x09 : 0x2C
        var fields: [Range<Int>] = []
        var start = 0
        var quoted = false
        for (i, byte) in bytes.enumerated() {
            if format == .csv && byte == 0x22 {
                quoted.toggle()
            } else if byte == separator && !quoted {
                fields.append(start..<i)
                start = i + 1
            }
        }
        fields.append(start..<bytes.count)
        return fields
    }

    /// The value of field `index` of `record` (0-based): for CSV without its quotes and with
    /// `""` read as `"`; nil when the record has no such field.
    public func value(_ record: Record, field index: Int) -> String? {
        guard index < record.fields.count else { return nil }
        let raw = record.bytes[record.fields[index]]
        guard format == .csv, raw.first == 0x22 else { return String(decoding: raw, as: UTF8.self) }
        var value: [UInt8] = []
        value.reserveCapacity(raw.count)
        var inside = false
        var previousQuote = false
        for byte in raw {
            if byte == 0x22 {
                if inside {
                    inside = false
                    previousQuote = true
                } else {
                    // A quote right after a closing one is a quote in the text ("").
                    if previousQuote { value.append(0x22) }
                    inside = true
                    previousQuote = false
                }
            } else {
                value.append(byte)
                previousQuote = false
            }
        }
        return String(decoding: value, as: UTF8.self)
    }

    /// `record` written back with `text` as a new field after field `after` (0-based), or
    /// unchanged with nil: every other field as it was read, quotes included.
    public func render(_ record: Record, inserting text: String?, after index: Int) -> [UInt8] {
        guard let text, index < record.fields.count else { return record.bytes + record.end }
        let separator: UInt8 = format == .tsv ? 0x09 : 0x2C
        var out: [UInt8] = []
        out.reserveCapacity(record.bytes.count + text.utf8.count + 4)
        let split = record.fields[index].upperBound
        out += record.bytes[..<split]
        out.append(separator)
        out += field(text)
        out += record.bytes[split...]
        out += record.end
        return out
    }

    /// `text` as a field: CSV quotes it when it holds a comma, a quote, a line break or
    /// leading or trailing space (doubling its quotes); TSV, which cannot quote, writes its
    /// tabs and line breaks as spaces.
    public func field(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        switch format {
        case .tsv:
            return bytes.map { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
        case .csv:
            let needs = bytes.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
                || bytes.first == 0x20 || bytes.last == 0x20
            guard needs else { return bytes }
            var out: [UInt8] = [0x22]
            for byte in bytes {
                out.append(byte)
                if byte == 0x22 { out.append(0x22) }
            }
            out.append(0x22)
            return out
        }
    }
}
