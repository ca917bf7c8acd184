/// Keys documented together: one `.Ss` section of nameindexd.toml(5), titled ``title``.
public struct SourceKeyGroup: Sendable, Hashable {
    public var title: String
    public var keys: [ConfigurationKey]

    public init(title: String, keys: [ConfigurationKey]) {
        self.title = title
        self.keys = keys
    }

    /// The keys of every source, whatever its kind.
    public static let common = SourceKeyGroup(title: "Keys of every source", keys: [
        .init("name", .string, required: true), .init("namespace", .string, required: true),
        .init("kind", .string, required: true), .init("min_rows", .integer), .init("max_shrink", .string),
        .init("on_failure", .string), .init("timeout", .timeSpan), .init("stall_timeout", .timeSpan),
        .init("retries", .integer), .init("retry_delay", .timeSpan), .init("reload_interval", .timeSpan),
        .init("reload_jitter", .timeSpan), .init("check_interval", .timeSpan), .init("partitions", .integer),
        .init("parallelism", .integer), .init("delta_interval", .timeSpan), .init("delta_jitter", .timeSpan),
        .init("delta_lag", .integerOrTimeSpan), .init("compact_above", .string),
    ])

    /// A kind's own keys: the section `kind = "<name>"`.
    public static func own(_ kind: String, _ keys: [ConfigurationKey]) -> SourceKeyGroup {
        SourceKeyGroup(title: "kind = \"\(kind)\"", keys: keys)
    }
}
