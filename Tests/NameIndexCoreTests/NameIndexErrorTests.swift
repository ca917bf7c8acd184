import NameIndexCore
import Testing

/// nameindex's own errors share one shape: a code of their own type, a message, the error
/// underneath and where they were thrown.
@Suite struct NameIndexErrorTests {
    struct Underneath: Error, Sendable {}

    @Test func snapshotErrorsCarryTheirCodeCauseAndPlace() {
        let error = SnapshotError(.writeFailed, path: "/s", "disk full", underlying: Underneath())
        #expect(error.code == .writeFailed && error.code != .badChecksum)
        #expect(error.code.description == "writeFailed")
        #expect(error.underlying is Underneath)
        #expect(error.location.file == "NameIndexCoreTests/NameIndexErrorTests.swift")
        #expect(error.location.line == 10)  // the line of the initializer call above
        #expect(error.description == "/s: disk full")
    }

    /// Any of them can be handled through the protocol.
    @Test func theShapeIsOneProtocol() {
        let errors: [any NameIndexError] = [
            SnapshotError(.malformed, path: "/s", "bad"), KeyTableError(message: "out of memory"),
        ]
        #expect(errors.map(\.message) == ["bad", "out of memory"])
        #expect(errors.allSatisfy { $0.location.file.hasSuffix("NameIndexErrorTests.swift") })
    }
}
