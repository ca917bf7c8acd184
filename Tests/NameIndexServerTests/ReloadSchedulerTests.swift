@testable import NameIndexServer
import NameIndexCore
import Synchronization
import Testing

/// A random source that returns the given numbers in turn.
final class Sequence01: Sendable {
    private let values: Mutex<[Double]>
    init(_ values: [Double]) { self.values = Mutex(values) }
    func next() -> Double { values.withLock { $0.isEmpty ? 0 : $0.removeFirst() } }
}

@Suite struct ReloadSchedulerTests {
    static let minute: UInt64 = 60_000_000

    @Test func theTimerFiresAfterTheIntervalPlusAJitterWithinBounds() {
        let randoms = Sequence01([0, 0.999_999, 0.5])
        var scheduler = ReloadScheduler(
            timers: ["users": .init(interval: .seconds(600), jitter: .seconds(60))], random: { randoms.next() })
        let now: UInt64 = 1_000_000_000
        scheduler.loaded("users", at: now, failed: false)
        #expect(scheduler.next("users") == .init(atUSec: now + 10 * Self.minute, reason: .timer))
        scheduler.loaded("users", at: now, failed: false)
        let latest = scheduler.next("users")!.atUSec
        #expect(latest < now + 11 * Self.minute && latest > now + 11 * Self.minute - 1_000)
        scheduler.loaded("users", at: now, failed: false)
        #expect(scheduler.next("users")!.atUSec == now + 10 * Self.minute + Self.minute / 2)
    }

    @Test(arguments: 0..<200)
    func everyJitterIsWithinItsBounds(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed))
        let random = Double(generator.next() >> 11) / Double(1 << 53)
        var scheduler = ReloadScheduler(
            timers: ["s": .init(interval: .seconds(300), jitter: .seconds(30))], random: { random })
        scheduler.loaded("s", at: 0, failed: false)
        let at = scheduler.next("s")!.atUSec
        #expect(at >= 300_000_000 && at < 330_000_000)
    }

    @Test func withoutATimerNothingIsScheduledAfterASuccess() {
        var scheduler = ReloadScheduler(timers: ["s": .init()], random: { 0.5 })
        scheduler.loaded("s", at: 5, failed: false)
        #expect(scheduler.next("s") == nil)
        #expect(scheduler.earliest == nil)
    }

    @Test func aFailureIsRetriedWithABackoffThatGrowsAndIsCappedEvenWithoutATimer() {
        var scheduler = ReloadScheduler(timers: ["s": .init()], random: { 0.999_999_999 })
        var delays: [UInt64] = []
        for failure in 1...8 {
            scheduler.loaded("s", at: 0, failed: true)
            let due = scheduler.next("s")!
            #expect(due.reason == .retry(failures: failure))
            delays.append(due.atUSec / 1_000_000)
        }
        #expect(delays == [29, 59, 119, 239, 479, 899, 899, 899])
        // A success ends the retries; with no timer nothing more is scheduled.
        scheduler.loaded("s", at: 0, failed: false)
        #expect(scheduler.next("s") == nil)
        scheduler.loaded("s", at: 0, failed: true)
        #expect(scheduler.next("s")?.reason == .retry(failures: 1))
    }

    @Test func theBackoffJitterScalesBetweenHalfAndAll() {
        #expect(ReloadScheduler.backoff(failures: 1, random: 0) == .seconds(15))
        #expect(ReloadScheduler.backoff(failures: 1, random: 1) == .seconds(30))
        #expect(ReloadScheduler.backoff(failures: 3, random: 0.5) == .seconds(90))
        #expect(ReloadScheduler.backoff(failures: 50, random: 1) == .seconds(900))
    }

    @Test func dueSourcesAreTakenOnceAndALoadStartedElsewhereCoversThem() {
        var scheduler = ReloadScheduler(
            timers: ["a": .init(interval: .seconds(10)), "b": .init(interval: .seconds(20)), "c": .init(interval: .seconds(10))],
            random: { 0 })
        for s in ["a", "b", "c"] { scheduler.loaded(s, at: 0, failed: false) }
        #expect(scheduler.takeDue(at: 9_999_999) == [])
        scheduler.started("c")  // reloaded by a command before its timer
        #expect(scheduler.takeDue(at: 10_000_000) == ["a"])
        #expect(scheduler.takeDue(at: 10_000_000) == [])
        #expect(scheduler.earliest == 20_000_000)
    }
}

/// A small deterministic generator for the tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
