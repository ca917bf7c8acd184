/// The registered kinds: the one list a new kind is added to.
public enum SourceKinds {
    public static let all: [any SourceKind.Type] = [FileKind.self, PostgreSQLKind.self, SQLiteKind.self, CommandKind.self]

    public static func named(_ name: String) -> (any SourceKind.Type)? { all.first { $0.name == name } }

    /// Every key a source of `kind` accepts.
    public static func keys(of kind: any SourceKind.Type) -> Set<String> {
        Set(([SourceKeyGroup.common] + kind.keyGroups).flatMap { $0.keys.map(\.name) })
    }
}
