import Foundation

/// Runs blocking work (a program that runs for a minute, a blocking socket read) on a thread
/// of its own and awaits it, so that it never holds one of the few threads of the cooperative
/// pool that every other test's awaits need: on 2 cores, two such tests would stall the rest.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do {
                continuation.resume(returning: try body())
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
