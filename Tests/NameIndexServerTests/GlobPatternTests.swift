import Testing

@testable import NameIndexServer

/// The HSCAN / CONFIG GET glob matcher: Redis's syntax, and bounded work on any input.
@Suite struct GlobPatternTests {
    func m(_ p: String, _ t: String) -> Bool { m(Array(p.utf8), Array(t.utf8)) }

    func m(_ p: [UInt8], _ t: [UInt8]) -> Bool {
        p.withUnsafeBytes { p in t.withUnsafeBytes { t in GlobPattern.matches(p, t) } }
    }

    @Test func syntax() {
        #expect(m("*", "") && m("*", "abc") && m("a*", "abc") && !m("a*", "bac"))
        #expect(m("a?c", "abc") && !m("a?c", "ac") && !m("?", ""))
        #expect(m("[ab]x", "bx") && !m("[ab]x", "cx") && m("[^ab]x", "cx") && m("[a-c]", "b") && !m("[a-c]", "d"))
        #expect(m("[c-a]", "b"), "a range may be written backwards")
        #expect(m("a\\*", "a*") && !m("a\\*", "ab"))
        #expect(m("[\\]]", "]") && m("[a\\-z]", "-") && !m("[a\\-z]", "b"))
        #expect(m("ab\\", "ab\\"), "a backslash at the end stands for itself")
        #expect(m("[abc", "b") && !m("[abc", "d"), "an unclosed class runs to the end")
        #expect(m("*1*", "x1y") && !m("*1*", "xy"))
        #expect(m("**a**b**", "xaxb") && !m("**a**b**", "xbxa"))
        #expect(m("*a*b", "aab") && m("*a*b", "abab") && !m("*a*b", "aba"))
        #expect(m("", "") && !m("", "a"))
    }

    /// The CVE-2022-36021 shape: a recursive matcher takes exponential time here (over a
    /// minute for this size); this one is done in (pattern + 1) × (text + 1) steps.
    @Test func manyStarsDoNotBacktrackExponentially() {
        let key = [UInt8](repeating: UInt8(ascii: "a"), count: 60)
        let pattern = Array(String(repeating: "*a", count: 11).utf8) + Array("*b".utf8)
        for _ in 0..<50 { #expect(!m(pattern, key)) }
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 10_000)
        #expect(!m(Array(String(repeating: "*a", count: 200).utf8) + Array("*b".utf8), long))
        #expect(m(Array(String(repeating: "*a", count: 200).utf8) + [UInt8(ascii: "*")], long))
    }

    /// Agrees with the plain recursive definition on every short pattern and text over a
    /// small alphabet (the recursive one is fine at this size).
    @Test func agreesWithTheRecursiveDefinition() {
        let alphabet: [UInt8] = Array("ab*?[]^-\\".utf8)
        var rng = SplitMix(seed: 12_345)
        for _ in 0..<200_000 {
            let p = (0..<Int(rng.next() % 7)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let t = (0..<Int(rng.next() % 6)).map { _ in alphabet[Int(rng.next() % 4)] }
            let expected = p.withUnsafeBytes { p in t.withUnsafeBytes { t in Self.reference(p, 0, t, 0) } }
            #expect(m(p, t) == expected, "pattern \(String(decoding: p, as: UTF8.self)) text \(String(decoding: t, as: UTF8.self))")
        }
    }

    /// The recursive matcher the daemon used to run: the definition, exponential on stars.
    static func reference(_ p: UnsafeRawBufferPointer, _ pi: Int, _ t: UnsafeRawBufferPointer, _ ti: Int) -> Bool {
        var pi = pi
        var ti = ti
        while pi < p.count {
            switch p[pi] {
            case UInt8(ascii: "*"):
                while pi + 1 < p.count && p[pi + 1] == UInt8(ascii: "*") { pi += 1 }
                if pi + 1 == p.count { return true }
                for start in ti...t.count where reference(p, pi + 1, t, start) { return true }
                return false
            case UInt8(ascii: "?"):
                guard ti < t.count else { return false }
                ti += 1
                pi += 1
            case UInt8(ascii: "["):
                guard ti < t.count else { return false }
                var i = pi + 1
                let negate = i < p.count && p[i] == UInt8(ascii: "^")
                if negate { i += 1 }
                var matched = false
                while i < p.count && p[i] != UInt8(ascii: "]") {
                    if p[i] == UInt8(ascii: "\\") && i + 1 < p.count {
                        if p[i + 1] == t[ti] { matched = true }
                        i += 2
                    } else if i + 2 < p.count && p[i + 1] == UInt8(ascii: "-") && p[i + 2] != UInt8(ascii: "]") {
                        let (low, high) = (min(p[i], p[i + 2]), max(p[i], p[i + 2]))
                        if t[ti] >= low && t[ti] <= high { matched = true }
                        i += 3
                    } else {
                        if p[i] == t[ti] { matched = true }
                        i += 1
                    }
                }
                if negate { matched.toggle() }
                guard matched else { return false }
                pi = min(i + 1, p.count)
                ti += 1
            case UInt8(ascii: "\\") where pi + 1 < p.count:
                guard ti < t.count, p[pi + 1] == t[ti] else { return false }
                pi += 2
                ti += 1
            default:
                guard ti < t.count, p[pi] == t[ti] else { return false }
                pi += 1
                ti += 1
            }
        }
        return ti == t.count
    }
}
