import Testing
import WSFraming

/// A clock's instant that tests move by hand.
struct TestInstant: InstantProtocol, Sendable {
    var offset: Duration
    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (a: TestInstant, b: TestInstant) -> Bool { a.offset < b.offset }
    static func at(_ seconds: Double) -> TestInstant { TestInstant(offset: .milliseconds(Int64(seconds * 1000))) }
}

@Suite("Keepalive pings and their timeout (RFC 6455 §5.5.2)")
struct KeepAliveTests {
    func keepAlive() -> KeepAlive<TestInstant> {
        KeepAlive(interval: .seconds(30), timeout: .seconds(10), now: .at(0))
    }

    @Test("pings after the interval of silence, and the matching Pong settles it with its round-trip time")
    func pingAndPong() {
        var k = keepAlive()
        #expect(k.nextDeadline == .at(30))
        #expect(k.timerFired(at: .at(29.9)) == .wait)
        guard case .sendPing(let payload) = k.timerFired(at: .at(30)) else { Issue.record("no ping"); return }
        #expect(k.isAwaitingPong)
        #expect(k.nextDeadline == .at(40))
        #expect(k.pongReceived(payload, at: .at(30.25)) == .milliseconds(250))
        #expect(!k.isAwaitingPong)
        #expect(k.nextDeadline == .at(60.25))
    }

    @Test("inbound bytes postpone the ping")
    func activityPostpones() {
        var k = keepAlive()
        k.received(at: .at(20))
        #expect(k.timerFired(at: .at(30)) == .wait)
        #expect(k.nextDeadline == .at(50))
    }

    @Test("no Pong within the timeout: the connection is dead")
    func timeout() {
        var k = keepAlive()
        _ = k.timerFired(at: .at(30))
        k.received(at: .at(35))  // data still flowing does not settle the ping
        #expect(k.timerFired(at: .at(39.9)) == .wait)
        #expect(k.timerFired(at: .at(40)) == .timedOut)
    }

    @Test("a Pong with another payload is activity, not the answer")
    func otherPong() {
        var k = keepAlive()
        _ = k.timerFired(at: .at(30))
        #expect(k.pongReceived([1, 2, 3], at: .at(31)) == nil)
        #expect(k.isAwaitingPong)
        #expect(k.timerFired(at: .at(40)) == .timedOut)
    }

    @Test("each ping carries a new payload")
    func distinctPayloads() {
        var k = keepAlive()
        var payloads: [[UInt8]] = []
        var now = 0.0
        for _ in 0..<3 {
            now += 30
            if case .sendPing(let p) = k.timerFired(at: .at(now)) {
                payloads.append(p)
                _ = k.pongReceived(p, at: .at(now))
            }
        }
        #expect(Set(payloads).count == 3)
        #expect(payloads.allSatisfy { $0.count <= 125 })
    }
}
