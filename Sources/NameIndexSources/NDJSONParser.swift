#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NameIndexCore

/// Turns newline-delimited JSON into rows, fed in chunks of any size.
///
/// Each line is one JSON object; the key and the name are its top-level
/// members `keyField` and `nameField`. A string value is used unescaped
/// (`\uXXXX` and surrogate pairs become UTF-8); a number is used as written
/// (`42`, `-7`, `1.5e3`). A member that is missing or `null` skips the row as
/// NULL (`to_json` leaves NULL members out), an empty string as empty; a line that is not a JSON object, or whose
/// key or name is `true`, `false`, an object or an array, as malformed; a key
/// or name that is not UTF-8 (or holds a lone surrogate) as invalid. Each is
/// counted and none stops the parse. Blank lines are ignored; other members
/// are skipped without being decoded.
///
/// Bounds, so that no line can exhaust memory or the stack: a line longer than
/// `maximumLineBytes` is skipped as too long without being held; a value nested
/// deeper than ``maximumDepth`` arrays and objects makes its line malformed
/// (the scanner recurses once per level, never more).
public struct NDJSONParser {
    private let keyField: [UInt8]
    private let nameField: [UInt8]
    private var lines: LineSplitter
    private var scratch: [UInt8] = []
    /// Rows of a delta (`delta_command`): besides the key and the name, the members `deleted`
    /// (true, false, 1, 0, "t", …; missing or null: false) and `watermark` (missing or null: none).
    private let delta: Bool
    private static let deletedField = Array("deleted".utf8)
    private static let watermarkField = Array("watermark".utf8)

    /// How deep arrays and objects may nest in a line (the member values' own depth, plus
    /// the line's object).
    public static let maximumDepth = 64

    public init(
        keyField: String = "id", nameField: String = "name", maximumLineBytes: Int = RowFormat.defaultMaximumLineBytes,
        delta: Bool = false
    ) {
        self.delta = delta
        self.keyField = Array(keyField.utf8)
        self.nameField = Array(nameField.utf8)
        self.lines = LineSplitter(maximumLineBytes: maximumLineBytes)
    }

    public mutating func feed(_ chunk: UnsafeRawBufferPointer, into batch: inout RowBatch) {
        // The splitter is moved out, not copied, so its carry is never copied on write.
        var splitter = LineSplitter(maximumLineBytes: 0)
        swap(&splitter, &lines)
        defer { swap(&splitter, &lines) }
        splitter.feed(chunk) { piece, at in self.piece(piece, at: at, into: &batch) }
    }

    public mutating func finish(into batch: inout RowBatch) {
        var splitter = LineSplitter(maximumLineBytes: 0)
        swap(&splitter, &lines)
        defer { swap(&splitter, &lines) }
        splitter.finish { piece, at in self.piece(piece, at: at, into: &batch) }
    }

    private mutating func piece(_ piece: LineSplitter.Piece, at position: LineSplitter.Position, into batch: inout RowBatch) {
        let locator = RowLocator(line: position.line, offset: position.offset)
        switch piece {
        case .line(let line): self.line(line, at: locator, into: &batch)
        case .tooLong(_, let head): head.withUnsafeBytes { batch.skip(.tooLong, raw: $0, at: locator) }
        }
    }

    private mutating func line(_ raw: UnsafeRawBufferPointer, at locator: RowLocator, into batch: inout RowBatch) {
        var line = raw
        if let last = line.last, last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        scratch.removeAll(keepingCapacity: true)
        var scanner = JSONScanner(bytes: line, scratch: scratch)
        let outcome = scanner.members(keyField, nameField)
        scratch = scanner.scratch
        if delta, case .found(let key, let name) = outcome {
            // The same line again for the other two members; decoded text goes on after the first two's.
            var again = JSONScanner(bytes: line, scratch: scratch)
            let more = again.members(Self.deletedField, Self.watermarkField, literals: true)
            scratch = again.scratch
            guard case .found(let flag, let mark) = more else {
                batch.skip(more.isInvalidUTF8 ? .invalidUTF8 : .malformed, raw: line, at: locator)
                return
            }
            scratch.withUnsafeBytes { decoded in
                guard let key else {
                    batch.skip(.null, raw: line, at: locator)
                    return
                }
                guard let deleted = flag.map({ Watermark.isDeleted($0.bytes(line, decoded)) }) ?? false else {
                    batch.skip(.malformed, raw: line, key: key.bytes(line, decoded), at: locator)
                    return
                }
                let markBytes = mark?.bytes(line, decoded)
                batch.appendDelta(
                    key: key.bytes(line, decoded), name: name?.bytes(line, decoded), deleted: deleted,
                    watermark: markBytes?.isEmpty == false ? markBytes : nil, raw: line, at: locator)
            }
            return
        }
        switch outcome {
        case .malformed:
            batch.skip(.malformed, raw: line, at: locator)
        case .invalidUTF8:
            batch.skip(.invalidUTF8, raw: line, at: locator)
        case .found(let key, let name):
            scratch.withUnsafeBytes { decoded in
                guard let key, let name else {
                    batch.skip(.null, raw: line, key: key?.bytes(line, decoded), at: locator)
                    return
                }
                batch.appendIfValid(key: key.bytes(line, decoded), name: name.bytes(line, decoded), raw: line, at: locator)
            }
        }
    }
}

/// Reads one JSON object from a line, far enough to pull out two members.
struct JSONScanner {
    enum Outcome {
        /// The two members' values; nil for missing or null.
        case found(FieldBytes?, FieldBytes?)
        case malformed
        case invalidUTF8

        var isInvalidUTF8: Bool {
            if case .invalidUTF8 = self { return true }
            return false
        }
    }

    private struct Failure: Error {
        let invalidUTF8: Bool
    }

    let bytes: UnsafeRawBufferPointer
    var scratch: [UInt8]
    private var position = 0

    init(bytes: UnsafeRawBufferPointer, scratch: [UInt8]) {
        self.bytes = bytes
        self.scratch = scratch
    }

    /// The values of members `first` and `second`; with `literals`, `true` and `false` are
    /// values too (a delta's deleted flag), their text as it is.
    mutating func members(_ first: [UInt8], _ second: [UInt8], literals: Bool = false) -> Outcome {
        do {
            var a: FieldBytes?
            var b: FieldBytes?
            var seenA = false
            var seenB = false
            skipSpace()
            try expect(0x7B)  // {
            skipSpace()
            if peek() == 0x7D {
                position += 1
            } else {
                while true {
                    skipSpace()
                    let member = try string()
                    let isA = !seenA && matches(member, first)
                    let isB = !seenB && matches(member, second)
                    skipSpace()
                    try expect(0x3A)  // :
                    skipSpace()
                    if isA || isB {
                        let value = try scalar(literals: literals)
                        if isA { a = value; seenA = true }
                        if isB { b = value; seenB = true }
                    } else {
                        try skipValue(depth: 2)
                    }
                    skipSpace()
                    if peek() == 0x2C { position += 1; continue }
                    try expect(0x7D)  // }
                    break
                }
            }
            skipSpace()
            guard position == bytes.count else { return .malformed }
            return .found(a, b)
        } catch let failure as Failure {
            return failure.invalidUTF8 ? .invalidUTF8 : .malformed
        } catch {
            return .malformed
        }
    }

    /// Whether a member name equals `wanted`, without copying it.
    private func matches(_ name: FieldBytes, _ wanted: [UInt8]) -> Bool {
        switch name {
        case .inLine(let r): UnsafeRawBufferPointer(rebasing: bytes[r]).elementsEqual(wanted)
        case .decoded(let r): scratch[r].elementsEqual(wanted)
        }
    }

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while let c = peek(), c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A { position += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard peek() == byte else { throw Failure(invalidUTF8: false) }
        position += 1
    }

    /// A string, a number or null (nil); anything else is malformed for a key or name.
    private mutating func scalar(literals: Bool = false) throws -> FieldBytes? {
        switch peek() {
        case 0x74 where literals, 0x66 where literals:  // true, false
            let start = position
            try literal(peek() == 0x74 ? "true" : "false")
            return .inLine(start..<position)
        case 0x22: return try string()
        case 0x6E:  // null
            try literal("null")
            return nil
        case let c? where c == 0x2D || (c >= 0x30 && c <= 0x39): return try number()
        default: throw Failure(invalidUTF8: false)
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard position + expected.count <= bytes.count,
            UnsafeRawBufferPointer(rebasing: bytes[position..<position + expected.count]).elementsEqual(expected)
        else { throw Failure(invalidUTF8: false) }
        position += expected.count
    }

    /// A JSON number, by its grammar; its text is the value.
    private mutating func number() throws -> FieldBytes {
        let start = position
        if peek() == 0x2D { position += 1 }
        guard let lead = peek(), lead >= 0x30, lead <= 0x39 else { throw Failure(invalidUTF8: false) }
        position += 1
        if lead != 0x30 { digits() }
        if peek() == 0x2E {
            position += 1
            guard digits() > 0 else { throw Failure(invalidUTF8: false) }
        }
        if peek() == 0x65 || peek() == 0x45 {
            position += 1
            if peek() == 0x2B || peek() == 0x2D { position += 1 }
            guard digits() > 0 else { throw Failure(invalidUTF8: false) }
        }
        return .inLine(start..<position)
    }

    @discardableResult
    private mutating func digits() -> Int {
        let start = position
        while let c = peek(), c >= 0x30, c <= 0x39 { position += 1 }
        return position - start
    }

    /// A string; its bytes in the line when it has no escapes, else decoded into `scratch`.
    private mutating func string() throws -> FieldBytes {
        try expect(0x22)
        let start = position
        var decodedStart: Int?
        var segment = start
        while true {
            guard let c = peek() else { throw Failure(invalidUTF8: false) }
            if c == 0x22 { break }
            if c < 0x20 { throw Failure(invalidUTF8: false) }  // raw control characters are not allowed
            if c != 0x5C {
                position += 1
                continue
            }
            if decodedStart == nil { decodedStart = scratch.count }
            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[segment..<position]))
            position += 1
            guard let escape = peek() else { throw Failure(invalidUTF8: false) }
            position += 1
            switch escape {
            case 0x22, 0x5C, 0x2F: scratch.append(escape)
            case 0x62: scratch.append(0x08)
            case 0x66: scratch.append(0x0C)
            case 0x6E: scratch.append(0x0A)
            case 0x72: scratch.append(0x0D)
            case 0x74: scratch.append(0x09)
            case 0x75: try unicodeEscape()
            default: throw Failure(invalidUTF8: false)
            }
            segment = position
        }
        defer { position += 1 }  // the closing quote
        guard let decodedStart else { return .inLine(start..<position) }
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[segment..<position]))
        return .decoded(decodedStart..<scratch.count)
    }

    /// `\uXXXX`, with a following `\uXXXX` low surrogate when it is a high one; appended as UTF-8.
    private mutating func unicodeEscape() throws {
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard position + 6 <= bytes.count, bytes[position] == 0x5C, bytes[position + 1] == 0x75 else {
                throw Failure(invalidUTF8: true)  // a lone high surrogate
            }
            position += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw Failure(invalidUTF8: true) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw Failure(invalidUTF8: true)  // a lone low surrogate
        }
        scratch.append(contentsOf: String(Unicode.Scalar(scalar)!).utf8)
    }

    private mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw Failure(invalidUTF8: false) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            default: throw Failure(invalidUTF8: false)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// Skips any value, nested ones included, checking only its structure.
    ///
    /// - Parameter depth: how deep an array or object starting here would be (the line's
    ///   object is 1); past ``NDJSONParser/maximumDepth`` the line is malformed.
    private mutating func skipValue(depth: Int) throws {
        switch peek() {
        case 0x22: _ = try string()
        case 0x7B, 0x5B:
            guard depth <= NDJSONParser.maximumDepth else { throw Failure(invalidUTF8: false) }
            let open = peek()!
            let close: UInt8 = open == 0x7B ? 0x7D : 0x5D
            position += 1
            skipSpace()
            if peek() == close {
                position += 1
                return
            }
            while true {
                skipSpace()
                if open == 0x7B {
                    _ = try string()
                    skipSpace()
                    try expect(0x3A)
                    skipSpace()
                }
                try skipValue(depth: depth + 1)
                skipSpace()
                if peek() == 0x2C { position += 1; continue }
                try expect(close)
                return
            }
        case 0x74: try literal("true")
        case 0x66: try literal("false")
        case 0x6E: try literal("null")
        default: _ = try number()
        }
    }
}
