import Testing

@testable import NameIndexServer

@Suite struct TimeSpanTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("30s", .seconds(30)), ("10min", .seconds(600)), ("2h", .seconds(7200)),
        ("1min 30s", .seconds(90)), ("1min30s", .seconds(90)), ("45", .seconds(45)), ("1.5s", .milliseconds(1500)),
        ("1d", .seconds(86_400)), ("250us", .microseconds(250)), (" 5s ", .seconds(5)),
    ])
    func parsesSystemdTimeSpans(_ text: String, _ duration: Duration) {
        #expect(TimeSpan.parse(text) == duration)
    }

    @Test(arguments: ["", "ten seconds", "5 lightyears", "-5s", "s", "5x", "1..2s"])
    func rejectsEverythingElse(_ text: String) {
        #expect(TimeSpan.parse(text) == nil)
    }

    @Test(arguments: [(Duration.seconds(600), "10min"), (.seconds(90), "1min 30s"), (.milliseconds(500), "500ms"), (.zero, "0")])
    func formatsTheShortestText(_ duration: Duration, _ text: String) {
        #expect(TimeSpan.format(duration) == text)
        #expect(TimeSpan.parse(text) == duration)
    }
}
