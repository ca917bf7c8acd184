/// Redis's glob patterns (`MATCH`, `CONFIG GET`): `*`, `?`, `[abc]`, `[^a-z]`, and `\` to escape.
///
/// The matcher keeps one backtracking point: the last `*` seen. When a later element
/// fails, that star takes one more byte and matching resumes after it. Earlier stars never
/// need to be revisited (whatever they could absorb, the last one can), so the work is at
/// most (pattern length + 1) × (text length + 1) steps for any input, never the
/// exponential blow-up of a recursive matcher (Redis CVE-2022-36021). Syntax as Redis's
/// `stringmatchlen`: an unclosed `[` runs to the end of the pattern, a range may be written
/// either way round (`[z-a]`), a `\` at the very end stands for itself.
enum GlobPattern {
    static func matches(_ p: UnsafeRawBufferPointer, _ t: UnsafeRawBufferPointer) -> Bool {
        var pi = 0
        var ti = 0
        // Where to resume after the last star: the pattern after it, and the text it has
        // absorbed up to. nil before any star.
        var resume: (pattern: Int, text: Int)?
        while pi < p.count || ti < t.count {
            if pi < p.count {
                switch p[pi] {
                case UInt8(ascii: "*"):
                    while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
                    if pi == p.count { return true }
                    resume = (pi, ti)
                    continue
                case UInt8(ascii: "?"):
                    if ti < t.count {
                        pi += 1
                        ti += 1
                        continue
                    }
                case UInt8(ascii: "["):
                    if ti < t.count {
                        let (matched, end) = matchClass(p, from: pi, t[ti])
                        if matched {
                            pi = end
                            ti += 1
                            continue
                        }
                    }
                case UInt8(ascii: "\\") where pi + 1 < p.count:
                    if ti < t.count && p[pi + 1] == t[ti] {
                        pi += 2
                        ti += 1
                        continue
                    }
                default:
                    if ti < t.count && p[pi] == t[ti] {
                        pi += 1
                        ti += 1
                        continue
                    }
                }
            }
            // A mismatch: let the last star absorb one more byte, if there is one to absorb.
            guard let (starPattern, starText) = resume, starText < t.count else { return false }
            resume = (starPattern, starText + 1)
            pi = starPattern
            ti = starText + 1
        }
        return true
    }

    /// Whether `byte` is in the class that opens at `p[start]` (a `[`), and the index just
    /// past the class's `]` (or the end of the pattern, for an unclosed class).
    private static func matchClass(_ p: UnsafeRawBufferPointer, from start: Int, _ byte: UInt8) -> (Bool, Int) {
        var i = start + 1
        let negate = i < p.count && p[i] == UInt8(ascii: "^")
        if negate { i += 1 }
        var matched = false
        while i < p.count && p[i] != UInt8(ascii: "]") {
            if p[i] == UInt8(ascii: "\\") && i + 1 < p.count {
                if p[i + 1] == byte { matched = true }
                i += 2
            } else if i + 2 < p.count && p[i + 1] == UInt8(ascii: "-") && p[i + 2] != UInt8(ascii: "]") {
                let (low, high) = (min(p[i], p[i + 2]), max(p[i], p[i + 2]))
                if byte >= low && byte <= high { matched = true }
                i += 3
            } else {
                if p[i] == byte { matched = true }
                i += 1
            }
        }
        if negate { matched.toggle() }
        return (matched, min(i + 1, p.count))
    }
}
