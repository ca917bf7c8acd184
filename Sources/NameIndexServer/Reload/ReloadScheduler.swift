/// When each source is reloaded next, and why: its timer (`reload_interval` plus a random
/// share of `reload_jitter`), or a retry after a failed load (capped exponential backoff with
/// jitter, whether or not the timer is on).
///
/// Pure bookkeeping over times the caller passes in, with an injected random source, so
/// its rules are tested without sleeping. Times are wall-clock microseconds, as in `Status`.
struct ReloadScheduler: Sendable {
    /// A source's timer settings.
    struct Timer: Sendable, Equatable {
        var interval: Duration?
        var jitter: Duration

        init(interval: Duration? = nil, jitter: Duration = .zero) {
            self.interval = interval
            self.jitter = jitter
        }
    }

    enum Reason: Sendable, Equatable, CustomStringConvertible {
        case timer
        /// The `failures`-th retry after failed loads in a row.
        case retry(failures: Int)

        var description: String {
            switch self {
            case .timer: "timer"
            case .retry(let n): n == 1 ? "retry after a failed load" : "retry after \(n) failed loads"
            }
        }
    }

    struct Due: Sendable, Equatable {
        var atUSec: UInt64
        var reason: Reason
    }

    /// The first retry after a failure waits this long; each further one twice as long …
    static let firstRetry = Duration.seconds(30)
    /// … up to this.
    static let maximumRetry = Duration.seconds(900)

    private var timers: [String: Timer]
    private var due: [String: Due] = [:]
    private var failures: [String: Int] = [:]
    /// A number in 0..<1; injected by tests.
    private let random: @Sendable () -> Double

    init(timers: [String: Timer], random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.timers = timers
        self.random = random
    }

    /// The next reload of `source`, if one is scheduled.
    func next(_ source: String) -> Due? { due[source] }

    /// The earliest scheduled reload of any source.
    var earliest: UInt64? { due.values.map(\.atUSec).min() }

    /// A load of `source` ended at `now`: schedule its next one.
    mutating func loaded(_ source: String, at now: UInt64, failed: Bool) {
        if failed {
            let count = (failures[source] ?? 0) + 1
            failures[source] = count
            due[source] = Due(atUSec: now + Self.backoff(failures: count, random: random()).microseconds, reason: .retry(failures: count))
            return
        }
        failures[source] = nil
        scheduleTimer(source, from: now)
    }

    /// A load of `source` was cancelled or not applied at `now`: its timer starts over.
    mutating func abandoned(_ source: String, at now: UInt64) {
        if due[source] == nil { scheduleTimer(source, from: now) }
    }

    /// Takes the sources due at `now`; they are no longer scheduled until their load ends.
    mutating func takeDue(at now: UInt64) -> Set<String> {
        let ready = Set(due.filter { $0.value.atUSec <= now }.keys)
        for source in ready { due[source] = nil }
        return ready
    }

    /// A load of `source` starts for another reason (a command, SIGHUP): what was scheduled is covered.
    mutating func started(_ source: String) { due[source] = nil }

    private mutating func scheduleTimer(_ source: String, from now: UInt64) {
        guard let timer = timers[source], let interval = timer.interval else {
            due[source] = nil
            return
        }
        let offset = UInt64(Double(timer.jitter.microseconds) * random())
        due[source] = Due(atUSec: now + interval.microseconds + offset, reason: .timer)
    }

    /// The pause before retry `failures` (from 1): 30 s doubling per failure, capped at 15 min,
    /// scaled by a factor from 0.5 to 1 (`random` in 0..<1) so that hosts spread out.
    static func backoff(failures: Int, random: Double) -> Duration {
        let base = Double(firstRetry.microseconds) * Double(1 << min(max(failures - 1, 0), 20))
        let capped = min(base, Double(maximumRetry.microseconds))
        return .microseconds(Int64(capped * (0.5 + 0.5 * min(max(random, 0), 1))))
    }
}

extension ReloadScheduler {
    /// The reload side's one timer: every wait for a time (the scheduled reloads, the change
    /// checks, a retry's pause, an attempt's deadline and stall deadline, the first load's
    /// progress to systemd) goes through here. Nothing on the reload or control side waits for
    /// an event by sleeping: events come through streams (``ReloadTicket``) and cancellation.
    static func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }

    /// Waits until `deadline` on the continuous clock.
    static func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }
}
