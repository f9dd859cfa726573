import Testing
import WSFraming

/// A session under test, with a clock that only the test moves and the bytes it wrote.
struct SessionHarness {
    let start = WebSocketSession.Instant(nanoseconds: 5_000_000_000)
    var session: WebSocketSession
    var output: [UInt8] = []

    init(_ role: WebSocketRole = .server, _ configuration: WebSocketSession.Configuration = .init()) {
        session = WebSocketSession(role: role, configuration: configuration, now: start)
    }

    func at(_ seconds: Double) -> WebSocketSession.Instant { start.advanced(by: .milliseconds(Int64(seconds * 1000))) }

    /// Feeds one read at `seconds`: its events, the error that failed the connection, and the
    /// read's actions.
    mutating func read(_ bytes: [UInt8], at seconds: Double) -> (events: [WebSocketConnection.Event], error: FramingError?,
                                                                 actions: WebSocketSession.Actions) {
        session.bytesArrived(at: at(seconds))
        var events: [WebSocketConnection.Event] = []
        var failure: FramingError?
        bytes.withUnsafeBytes { buffer in
            var input = buffer
            do throws(FramingError) {
                while let event = try session.nextEvent(from: &input, replies: &output) { events.append(event) }
            } catch {
                failure = error
            }
        }
        return (events, failure, session.readCompleted())
    }

    mutating func fire(at seconds: Double) -> WebSocketSession.Actions {
        session.timerFired(at: at(seconds), into: &output)
    }

    /// The frames written since the last call.
    mutating func takeFrames() -> [(header: FrameHeader, payload: [UInt8])] {
        defer { output = [] }
        return frames(in: output)
    }
}

@Suite("The connection session: every policy of a live connection, on an injected clock")
struct WebSocketSessionTests {
    static let quick = WebSocketSession.Configuration(keepAlive: .every(.seconds(30), timeout: .seconds(10)), closeTimeout: .seconds(10))

    @Test("a quiet peer is pinged after the interval; its Pong settles the keepalive and gives the round trip")
    func keepAlivePing() {
        var h = SessionHarness(.server, .init())
        #expect(h.session.nextDeadline == h.at(30))
        #expect(h.fire(at: 29).write == false)
        let ping = h.fire(at: 30)
        #expect(ping.write && ping.deadline == h.at(40))
        let sent = h.takeFrames()
        #expect(sent.count == 1 && sent[0].header.opcode == .ping)
        let pong = h.read(clientFrame(.pong, sent[0].payload), at: 30.25)
        #expect(pong.events == [.pong(sent[0].payload)])
        #expect(h.session.lastKeepAliveRoundTrip == .milliseconds(250))
        #expect(h.session.nextDeadline == h.at(60.25))
    }

    @Test("no Pong: Close 1011 and the transport closed once it is written, or at the close deadline; the outcome says why (1006)")
    func keepAliveTimeout() throws {
        var h = SessionHarness(.server, Self.quick)
        _ = h.fire(at: 30)
        _ = h.takeFrames()
        let timedOut = h.fire(at: 40)
        let close = h.takeFrames()
        #expect(close.count == 1 && close[0].header.opcode == .close)
        #expect(try CloseFrame(decoding: close[0].payload).code == .internalError)
        #expect(timedOut.write && timedOut.transport == .closeAfterWrites && timedOut.deadline == h.at(50))
        #expect(h.session.phase == .finishing(deadline: h.at(50)))
        #expect(h.fire(at: 49.9).transport == nil)
        #expect(h.fire(at: 50).transport == .closeNow)
        let outcome = h.session.endOfInput()
        #expect(outcome.code == .abnormalClosure && !outcome.wasClean)
        #expect(outcome.reason == "keepalive: no Pong within 10.0 seconds")
        #expect(h.session.nextDeadline == nil)
    }

    @Test("a peer that stops reading is dropped within ping interval + ping timeout + close deadline, whatever is queued")
    func stalledPeerIsDropped() {
        var h = SessionHarness(.server, Self.quick)
        _ = h.read(clientFrame(.binary, [1, 2, 3]), at: 1)
        var none: [UInt8] = []
        // The echo filled the transport's queue: reading stops, so nothing more arrives.
        #expect(h.session.outboundPressureChanged(.overBudget, into: &none).reading == .paused)
        var now = 1.0
        var actions = WebSocketSession.Actions()
        while actions.transport != .closeNow, now < 100 {
            now += 0.5
            actions = h.fire(at: now)
        }
        #expect(now == 51)  // 1 + 30 + 10 + 10
        #expect(h.session.endOfInput().reason.hasPrefix("keepalive"))
    }

    @Test("no bytes for the idle timeout: Close 1001, then the close deadline")
    func idleTimeout() throws {
        var h = SessionHarness(.server, .init(keepAlive: .disabled, idleTimeout: .seconds(5)))
        _ = h.read(clientFrame(.text, Array("hi".utf8)), at: 3)
        #expect(h.fire(at: 5).write == false)  // activity at 3 moved it to 8
        let idle = h.fire(at: 8)
        #expect(idle.write && idle.deadline == h.at(18))
        #expect(try CloseFrame(decoding: h.takeFrames()[0].payload).code == .goingAway)
        #expect(h.fire(at: 18).transport == .closeNow)
        #expect(h.session.endOfInput().reason.hasPrefix("idle timeout"))
    }

    @Test("the peer's Close: a server answers and closes the transport after the answer, bounded by the close deadline (RFC 6455 §7.1.1)")
    func serverClosesAfterHandshake() {
        var h = SessionHarness(.server, Self.quick)
        let read = h.read(clientFrame(.close, CloseFrame(code: .normalClosure).encoded), at: 2)
        #expect(read.actions.write && read.actions.transport == .closeAfterWrites && read.actions.deadline == h.at(12))
        #expect(h.takeFrames().map(\.header.opcode) == [.close])
        #expect(h.session.phase == .finishing(deadline: h.at(12)))
        #expect(h.fire(at: 12).transport == .closeNow)
        let outcome = h.session.endOfInput()
        #expect(outcome.wasClean && outcome.code == .normalClosure)
    }

    @Test("the server's Close: a client answers and waits for the server to close TCP, then closes it itself")
    func clientWaitsForServer() {
        var h = SessionHarness(.client, Self.quick)
        let read = h.read(serverFrame(.close, CloseFrame(code: .goingAway).encoded), at: 2)
        #expect(read.actions.transport == nil && read.actions.deadline == h.at(12))
        #expect(h.fire(at: 12).transport == .closeNow)
        #expect(h.session.endOfInput().code == .goingAway)
    }

    @Test("the user's close: Close sent, the peer's answer completes it within the same deadline")
    func userClose() throws {
        var h = SessionHarness(.server, Self.quick)
        let actions = try h.session.close(code: .normalClosure, reason: "bye", timeout: .seconds(3), at: h.at(1), into: &h.output)
        #expect(actions.write && actions.deadline == h.at(4))
        #expect(!h.session.canSendData)
        let answer = h.read(clientFrame(.close, CloseFrame(code: .normalClosure).encoded), at: 2)
        #expect(answer.actions.transport == .closeAfterWrites)
        #expect(h.session.phase == .finishing(deadline: h.at(4)))
        // A second close only brings the deadline forward.
        var sink: [UInt8] = []
        #expect(try h.session.close(timeout: .seconds(1), at: h.at(2), into: &sink).deadline == h.at(3))
        #expect(sink.isEmpty)
    }

    @Test("over the message rate: Close 1008, the message and the rest of the read dropped, the transport closed after the Close")
    func rateLimit() {
        var h = SessionHarness(.server, .init(messageRateLimit: RateLimit(perSecond: 1, burst: 2)))
        let messages = (0..<4).flatMap { clientFrame(.text, Array("m\($0)".utf8)) }
        let read = h.read(messages, at: 1)
        #expect(read.events == [.text("m0"), .text("m1")])
        #expect(read.actions.transport == .closeAfterWrites && read.actions.write)
        let close = h.takeFrames()
        #expect(close.count == 1 && (try? CloseFrame(decoding: close[0].payload))?.code == .policyViolation)
        #expect(h.session.endOfInput().reason == "message rate limit exceeded")
    }

    @Test("the rate refills with time")
    func rateRefills() {
        var h = SessionHarness(.server, .init(messageRateLimit: RateLimit(perSecond: 1, burst: 1)))
        #expect(h.read(clientFrame(.text, [0x61]), at: 1).events.count == 1)
        #expect(h.read(clientFrame(.text, [0x62]), at: 2.1).events.count == 1)
        #expect(h.read(clientFrame(.text, [0x63]), at: 2.2).actions.transport == .closeAfterWrites)
    }

    @Test("over the outbound budget: reading stops, Pings get one Pong for the latest once the queue drains (RFC 6455 §5.5.3)")
    func pongsCoalesceOverBudget() {
        var h = SessionHarness()
        let pings = (0..<1000).flatMap { clientFrame(.ping, withUnsafeBytes(of: UInt32($0).bigEndian) { Array($0) }) }
        // Within the budget, every Ping is answered (Autobahn 2.10 checks it).
        _ = h.read(Array(pings.prefix(10 * 10)), at: 1)
        #expect(h.takeFrames().count == 10)
        #expect(h.session.outboundPressureChanged(.overBudget, into: &h.output).reading == .paused)
        _ = h.read(pings, at: 2)
        #expect(h.output.isEmpty)
        let drained = h.session.outboundPressureChanged(.withinBudget, into: &h.output)
        #expect(drained.reading == .active && drained.write)
        let pongs = h.takeFrames()
        #expect(pongs.count == 1 && pongs[0].header.opcode == .pong && pongs[0].payload == [0, 0, 3, 0xE7])
    }

    @Test("reading resumes only when both the consumer and the outbound queue allow it")
    func pressuresCombine() {
        var h = SessionHarness()
        var sink: [UInt8] = []
        #expect(h.session.inboundPressureChanged(.consumerBehind).reading == .paused)
        #expect(h.session.outboundPressureChanged(.overBudget, into: &sink).reading == nil)
        #expect(h.session.inboundPressureChanged(.flowing).reading == nil)
        #expect(h.session.outboundPressureChanged(.withinBudget, into: &sink).reading == .active)
    }

    @Test("a message in more frames than the limit fails with 1009, even when its frames are empty")
    func tooManyFrames() {
        var framing = WebSocketConnection.Configuration()
        framing.maxFramesPerMessage = 100
        var h = SessionHarness(.server, .init(framing: framing))
        let bytes = clientFrame(.text, [], isFinal: false) + (0..<100).flatMap { _ in clientFrame(.continuation, [], isFinal: false) }
        let read = h.read(bytes, at: 1)
        #expect(read.error?.code == .tooManyFrames && read.error?.closeCode == .messageTooBig)
        #expect(read.actions.transport == .closeAfterWrites)
        #expect(h.takeFrames().first.map { (try? CloseFrame(decoding: $0.payload))?.code } == .messageTooBig)
    }

    @Test("a deferred violation holds its Close and pauses reading until the consumer has caught up, or for a second at most")
    func deferredFailure() {
        var framing = WebSocketConnection.Configuration()
        framing.failurePolicy = .deferred
        var h = SessionHarness(.server, .init(framing: framing))
        let read = h.read(clientFrame(.text, Array("ok".utf8)) + clientFrame(.text, [0xFF]), at: 1)
        #expect(read.events == [.text("ok")] && read.error?.code == .invalidUTF8)
        #expect(read.actions.reading == .paused && read.actions.deadline == h.at(2) && !read.actions.write)
        let due = h.fire(at: 2)
        #expect(due.write && due.transport == .closeAfterWrites && due.reading == .active)
        #expect((try? CloseFrame(decoding: h.takeFrames()[0].payload))?.code == .invalidPayloadData)
    }

    @Test("manual pongs: the Ping is reported and nothing is written until the user answers")
    func manualPongs() throws {
        var framing = WebSocketConnection.Configuration()
        framing.pongPolicy = .manual
        var h = SessionHarness(.server, .init(framing: framing))
        let read = h.read(clientFrame(.ping, [9]), at: 1)
        #expect(read.events == [.ping([9])] && h.output.isEmpty)
        try h.session.sendPong([9], into: &h.output)
        #expect(h.takeFrames().map(\.header.opcode) == [.pong])
    }
}
