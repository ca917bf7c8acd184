/// Checks TOML text for what the TOML parser underneath (toml++, through TOMLKit) does not
/// check itself before assuming it: found by fuzzing, each aborts a debug build on an
/// assertion and is undefined behaviour in a release build (the assertion becomes a
/// compiler assumption).
///
/// - Control characters other than tab, LF and CR, which TOML allows nowhere.
/// - A table header whose first character after `[` or `[[` (and spaces) is neither `]`, a
///   quote nor a bare-key character (`[ = 1`, `[.a]`).
/// - In a value, a `]` or `}` that does not close the bracket opened last (`[1 }`), and an
///   `=` followed by no value (`a = ]`, `{ a = }`).
/// - A date, a space and one digit that ends the value (`a = 0407-02-00 7 #`): the parser
///   reads on past the digit as if a time followed. And a date, then `T` or `t` with no digit
///   after it (`a = 6407-02-07this`): the parser takes the letter for the start of a time and
///   asserts that a digit follows.
/// - A character that is not ASCII outside a string or a comment, where TOML allows none: the
///   parser takes some of them (U+0085, U+00A0, U+2028, …) for whitespace that ends a value,
///   and `a = [\u{85}` then fails an assertion.
///
/// The scan knows strings (basic, literal, multi-line), comments and the brackets of values,
/// so a `[` that starts an array element on its own line is not taken for a header. A UTF-8
/// byte-order mark at the start is skipped, as the parser skips it, so the first line is a
/// line start (`\u{FEFF}[$]` was a crash).
enum TOMLPrecheck {
    struct Problem: Error {
        let line: Int
        let message: String
    }

    static func check(_ text: String) throws(Problem) {
        let bytes = Array(text.utf8)
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var atLineStart = true
        var open: [UInt8] = []  // the brackets of the value being read
        var valueDepth: Int { open.count }
        var inValue = false
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        /// Ten characters (underscores aside, as the parser skips them) with `-` fifth and
        /// eighth and none of `+ . :`, a space, one digit, then anything that cannot go on
        /// with a time: the parser takes the ten for a date and reads on past the digit. Its
        /// own test looks at more (which letters, digits only); this one refuses more, all of
        /// it invalid TOML.
        func dateProblem(at start: Int) -> String? {
            var j = start
            var count = 0
            while j < bytes.count && count < 10 {
                let c = bytes[j]
                if [0x20, 0x09, 0x0A, 0x0D, 0x5D, 0x7D, 0x2C, 0x23].contains(c) { break }  // ends the value
                j += 1
                if c == 0x5F { continue }
                if (c & 0xC0) == 0x80 { continue }  // a continuation byte: part of the character before
                if isTimePunctuation(c) { return nil }
                if (count == 4 || count == 7) && c != 0x2D { return nil }
                if count == 10 - 1 && (c == 0x54 || c == 0x74) { return nil }  // a T in the date's own ten: not this shape
                count += 1
            }
            while j < bytes.count && (bytes[j] == 0x5F || (bytes[j] & 0xC0) == 0x80) { j += 1 }
            guard count == 10, j < bytes.count else { return nil }
            if bytes[j] == 0x54 || bytes[j] == 0x74 {  // T, t: a time must follow
                return j + 1 < bytes.count && isDigit(bytes[j + 1]) ? nil : "a date followed by 'T' must go on with a time"
            }
            guard j + 2 < bytes.count, bytes[j] == 0x20, isDigit(bytes[j + 1]) else { return nil }
            let next = bytes[j + 2]
            // A time goes on with digits, '.', ':' or '+'.
            return partOfAValue(next) ? nil : "a date followed by a space must go on with a time"
        }
        /// `+`, `.` and `:`: in numbers, dates and times.
        func isTimePunctuation(_ b: UInt8) -> Bool { b == 0x2B || b == 0x2E || b == 0x3A }
        func partOfAValue(_ b: UInt8) -> Bool { isBare(b) || isTimePunctuation(b) }
        func isBare(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
        }
        func controlCheck(_ b: UInt8) throws(Problem) {
            if (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F {
                let hex = String(b, radix: 16, uppercase: true)
                throw Problem(line: line, message: "control character U+\(String(repeating: "0", count: 4 - hex.count) + hex) is not allowed")
            }
        }
        while i < bytes.count {
            let b = bytes[i]
            try controlCheck(b)
            switch b {
            case 0x0A:
                line += 1
                atLineStart = true
                if valueDepth == 0 { inValue = false }
                i += 1
                continue
            case 0x20, 0x09, 0x0D:
                i += 1
                continue
            case 0x23:  // # comment: to the end of the line
                while i < bytes.count && bytes[i] != 0x0A {
                    try controlCheck(bytes[i])
                    i += 1
                }
                continue
            case 0x22, 0x27:  // " or '
                let triple = i + 2 < bytes.count && bytes[i + 1] == b && bytes[i + 2] == b
                i += triple ? 3 : 1
                while i < bytes.count {
                    let c = bytes[i]
                    try controlCheck(c)
                    if c == 0x0A {
                        line += 1
                        if !triple { break }  // a single-line string ends at the line (an error the parser reports)
                    }
                    if b == 0x22 && c == 0x5C {  // a backslash escape in a basic string
                        i += 2
                        continue
                    }
                    if c == b && (!triple || (i + 2 < bytes.count && bytes[i + 1] == b && bytes[i + 2] == b)) {
                        i += triple ? 3 : 1
                        // A multi-line string may end in up to two more quotes of its kind.
                        while triple && i < bytes.count && bytes[i] == b { i += 1 }
                        break
                    }
                    i += 1
                }
                atLineStart = false
                continue
            case 0x3D:  // =
                if valueDepth == 0 { inValue = true }
                var j = i + 1
                while j < bytes.count && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
                if j == bytes.count || [0x0A, 0x0D, 0x5D, 0x7D, 0x2C, 0x23].contains(bytes[j]) {
                    throw Problem(line: line, message: "a key needs a value after '='")
                }
            case 0x5B, 0x7B:  // [ {
                if atLineStart && !inValue && b == 0x5B {
                    var j = i + 1
                    if j < bytes.count && bytes[j] == 0x5B { j += 1 }
                    while j < bytes.count && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
                    guard j < bytes.count else { break }
                    let first = bytes[j]
                    try controlCheck(first)
                    guard first == 0x5D || first == 0x22 || first == 0x27 || isBare(first) else {
                        throw Problem(line: line, message: "a table header must start with a key")
                    }
                } else if inValue {
                    open.append(b)
                }
            case 0x5D, 0x7D:  // ] }
                if inValue {
                    guard let last = open.popLast(), last == (b == 0x5D ? 0x5B : 0x7B) else {
                        throw Problem(line: line, message: "'\(b == 0x5D ? "]" : "}")' does not close the bracket opened before it")
                    }
                }
            case 0x30...0x39:
                if inValue && (i == 0 || !partOfAValue(bytes[i - 1])), let problem = dateProblem(at: i) {
                    throw Problem(line: line, message: problem)
                }
            case 0x80...:
                throw Problem(line: line, message: "a character that is not ASCII may appear only in a string or a comment")
            default:
                break
            }
            atLineStart = false
            i += 1
        }
    }
}

extension ConfigurationLoader {
    /// What the TOML parser underneath would assume rather than check (``TOMLPrecheck``),
    /// refused first with the line it is on.
    static func precheck(_ text: String, file: String) throws {
        do {
            try TOMLPrecheck.check(text)
        } catch {
            throw ConfigurationError(code: .syntax, file: file, line: error.line, message: "invalid TOML: \(error.message)")
        }
    }
}
