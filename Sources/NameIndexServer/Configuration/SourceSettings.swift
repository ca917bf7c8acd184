/// A source's kind settings, compared by value whatever their kind.
public struct SourceSettings: Sendable, Equatable {
    public let value: any SourceKind

    public init(_ value: any SourceKind) { self.value = value }

    /// The value of `kind`.
    public var kind: String { type(of: value).name }

    public static func == (a: SourceSettings, b: SourceSettings) -> Bool {
        func equal<K: SourceKind>(_ a: K) -> Bool { (b.value as? K) == a }
        return equal(a.value)
    }
}
