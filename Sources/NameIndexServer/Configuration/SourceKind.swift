import NameIndexSources

/// One kind of source (`kind = "…"`), written in one file: the keys it accepts with their
/// types, how it reads and checks them, how `--check-config` shows them, what of them goes into
/// the snapshot fingerprint, and the ``Source`` that fetches it.
///
/// The loader, the renderer, the fingerprint and the reload side loop over ``SourceKinds/all``,
/// so adding a kind is writing one type and adding it to that list (docs/ARCHITECTURE.md shows
/// it with the `sqlite` kind).
public protocol SourceKind: Sendable, Equatable {
    /// The value of `kind`.
    static var name: String { get }
    /// The keys it accepts besides ``SourceKeyGroup/common``: shared groups, then its own.
    static var keyGroups: [SourceKeyGroup] { get }
    /// Reads and checks its keys from one `[[source]]` table.
    init(reading table: SourceTable) throws
    /// Its keys with their effective values, as TOML lines, for `--check-config`.
    var renderedLines: [String] { get }
    /// Everything of it that decides which rows the source returns; a snapshot written under
    /// another fingerprint is not served.
    var fingerprintText: String { get }
    /// The source that fetches it.
    func makeSource(name: String, namespace: String) -> any Source
    /// Whether it sets a delta query (`delta_query`, `delta_command`): its source is then
    /// ``DeltaFetching``, and the common delta keys (`delta_interval`, …) apply to it.
    var hasDelta: Bool { get }
}

extension SourceKind {
    public var hasDelta: Bool { false }
}
