import NameIndexProtocol

/// What a reload request gets back: the events of the load that answers it, from its start to
/// its outcome. The coordinator yields `started` and `finished`, the fetches `progress` (through
/// the ``FetchProgressBoard``) as rows and states change.
///
/// The stream keeps only the newest event a reader has not taken, so a slow reader never holds
/// up a fetch; `finished` is the last event, so it is never lost.
struct ReloadTicket: Sendable {
    enum Event: Sendable, Equatable {
        /// The load that answers this request has started (or was running and was joined).
        case started
        /// A fetch of the load reported rows or changed state.
        case progress
        /// The load ended with this outcome; the stream ends after it.
        case finished(ReloadCoordinator.Outcome)
    }

    let events: AsyncStream<Event>

    /// A ticket and the end its events are yielded into.
    static func make() -> (ReloadTicket, AsyncStream<Event>.Continuation) {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(1))
        return (ReloadTicket(events: events), continuation)
    }

    /// Waits for the outcome.
    func outcome() async -> ReloadCoordinator.Outcome {
        for await event in events {
            if case .finished(let outcome) = event { return outcome }
        }
        // The stream ends only after `finished`, unless the daemon is going away.
        return .failure(.shuttingDown)
    }
}
