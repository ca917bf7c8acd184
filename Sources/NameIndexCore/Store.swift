import Synchronization

/// Holds the generation being served and swaps in new ones atomically.
///
/// Readers take the current ``Index`` reference under a lock held only for
/// the length of a pointer copy; a reload builds its index elsewhere and holds
/// the lock only to swap. A reader keeps the generation it took for as long
/// as it needs it, so a batch lookup sees one generation only.
public final class Store: Sendable {
    private struct State: ~Copyable {
        var index: Index?
        var waiters: [CheckedContinuation<Index?, Never>] = []
        var closed = false
    }

    private let state: Mutex<State>

    public init(index: Index? = nil) {
        state = Mutex(State(index: index))
    }

    /// The generation being served, or nil before the first one.
    public var current: Index? {
        state.withLock { $0.index }
    }

    /// Serves `index` from now on and returns the generation it replaced.
    @discardableResult
    public func swap(_ index: Index) -> Index? {
        let (old, waiters) = state.withLock { state -> (Index?, [CheckedContinuation<Index?, Never>]) in
            let old = state.index
            state.index = index
            let waiters = state.waiters
            state.waiters = []
            return (old, waiters)
        }
        for waiter in waiters { waiter.resume(returning: index) }
        return old
    }

    /// The generation being served, waiting for the first one if there is none yet.
    ///
    /// - Returns: nil only when the store was closed before any generation served
    ///   (the daemon is stopping), so that no caller waits forever.
    public func servingIndex() async -> Index? {
        if let index = current { return index }
        return await withCheckedContinuation { continuation in
            let answer = state.withLock { state -> Index?? in
                if let index = state.index { return .some(index) }
                if state.closed { return .some(nil) }
                state.waiters.append(continuation)
                return .none
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Releases everyone waiting for a first generation, with nil; later waits return at once.
    public func close() {
        let waiters = state.withLock { state -> [CheckedContinuation<Index?, Never>] in
            state.closed = true
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: state.withLock { $0.index }) }
    }
}
