import Testing
import WSFraming

@Suite("The close handshake (RFC 6455 §5.5.1, §7)")
struct WebSocketConnectionCloseTests {
    @Test("a peer's Close is answered with its code, and the closing is clean (RFC 6455 §5.5.1)", arguments: Split.allCases)
    func peerCloses(_ split: Split) {
        var server = WebSocketConnection(role: .server)
        let received = feed(clientFrame(.close, hex("0b b8") + Array("bye".utf8)), to: &server, split: split)
        #expect(received.events == [.close(CloseFrame(code: CloseCode(3000), reason: "bye"))])
        #expect(frames(in: received.replies).map(\.payload) == [hex("0b b8")])
        #expect(server.state == .closed)
        #expect(server.outcome == CloseOutcome(code: CloseCode(3000), reason: "bye", wasClean: true))
        #expect(server.receiveEndOfInput() == CloseOutcome(code: CloseCode(3000), reason: "bye", wasClean: true))
    }

    @Test("an empty Close is answered with an empty Close and reported as 1005 (RFC 6455 §7.1.5)")
    func emptyClose() {
        var client = WebSocketConnection(role: .client)
        let received = feed(serverFrame(.close, []), to: &client)
        #expect(received.events == [.close(CloseFrame(code: nil))])
        #expect(frames(in: received.replies).map(\.payload) == [[]])
        #expect(client.outcome?.code == .noStatusReceived)
    }

    @Test("our Close, then the peer's: clean, and no second Close is sent (RFC 6455 §7.1.2)")
    func weClose() throws {
        var client = WebSocketConnection(role: .client)
        var out: [UInt8] = []
        try client.sendClose(code: .goingAway, reason: "leaving", into: &out)
        #expect(client.state == .closing)
        #expect(frames(in: out).map(\.payload) == [hex("03 e9") + Array("leaving".utf8)])
        let received = feed(serverFrame(.close, hex("03 e9")), to: &client)
        #expect(received.replies.isEmpty)
        #expect(client.state == .closed)
        #expect(client.outcome == CloseOutcome(code: .goingAway, wasClean: true))
    }

    @Test("data that arrives after our Close is ignored; control frames are still handled")
    func dataAfterOurClose() throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try server.sendClose(into: &out)
        let received = feed(clientFrame(.text, Array("late".utf8)) + clientFrame(.binary, [1], isFinal: false)
                            + clientFrame(.ping, [5]) + clientFrame(.continuation, [2]) + clientFrame(.close, hex("03 e8")), to: &server)
        #expect(received.events == [.ping([5]), .close(CloseFrame(code: .normalClosure))])
        #expect(frames(in: received.replies).map(\.header.opcode) == [.pong])
        #expect(server.outcome?.wasClean == true)
    }

    @Test("frames after the close handshake are ignored")
    func afterClosed() {
        var server = WebSocketConnection(role: .server)
        let received = feed(clientFrame(.close, hex("03 e8")) + clientFrame(.text, Array("x".utf8)) + [0xFF, 0xFF], to: &server)
        #expect(received.events == [.close(CloseFrame(code: .normalClosure))])
        #expect(received.error == nil)
    }

    @Test("the end of input without a Close reports 1006, not clean (RFC 6455 §7.1.5)")
    func abnormal() {
        var server = WebSocketConnection(role: .server)
        _ = feed(Array(clientFrame(.text, Array("partial".utf8)).prefix(8)), to: &server)
        #expect(server.receiveEndOfInput() == CloseOutcome(code: .abnormalClosure, wasClean: false))
        #expect(server.state == .closed)
    }

    @Test("the end of input after our Close but before the peer's is not clean")
    func abnormalWhileClosing() throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try server.sendClose(into: &out)
        #expect(server.receiveEndOfInput() == CloseOutcome(code: .abnormalClosure, wasClean: false))
    }

    @Test("the end of input that this side caused keeps its reason in the 1006 outcome; a completed handshake ignores it")
    func abnormalWithReason() throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try server.sendClose(into: &out)
        #expect(server.receiveEndOfInput(reason: "close timeout") == CloseOutcome(code: .abnormalClosure, reason: "close timeout", wasClean: false))
        var clean = WebSocketConnection(role: .server)
        _ = feed(clientFrame(.close, [0x03, 0xE8]), to: &clean)
        #expect(clean.receiveEndOfInput(reason: "close timeout") == CloseOutcome(code: .normalClosure, wasClean: true))
    }

    @Test("a failed connection reports its failure's code at the end of input")
    func failedThenEnd() {
        var server = WebSocketConnection(role: .server)
        _ = feed(clientFrame(.text, hex("ff")), to: &server)
        #expect(server.receiveEndOfInput().code == .invalidPayloadData)
        #expect(server.outcome?.wasClean == false)
    }

    @Test("a failure after our Close sends no second Close (RFC 6455 §7.1.7)")
    func failWhileClosing() throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try server.sendClose(into: &out)
        let received = feed(clientFrame(.close, [0x03]), to: &server)
        #expect(received.error?.code == .invalidClosePayload)
        #expect(received.replies.isEmpty)
    }

    @Test("invalid Close payloads fail the connection with the right code (RFC 6455 §5.5.1, §7.4)")
    func invalidClose() {
        #expect(feed(clientFrame(.close, [0x03]), role: .server).error?.closeCode == .protocolError)
        #expect(feed(clientFrame(.close, hex("03 ed")), role: .server).error?.code == .invalidCloseCode)  // 1005
        #expect(feed(clientFrame(.close, hex("03 e8 ff")), role: .server).error?.closeCode == .invalidPayloadData)
    }

    @Test("a failing Close's reason is cut to 123 bytes on a character boundary")
    func reasonTruncation() {
        var server = WebSocketConnection(role: .server, configuration: .init(maxFrameSize: 10))
        let received = feed(Array(clientFrame(.binary, Array(repeating: 0, count: 1_000_000)).prefix(14)), to: &server)
        let payload = frames(in: received.replies).first?.payload ?? []
        #expect(payload.count <= 125)
        #expect(UTF8Validator.isValid(payload.dropFirst(2)))
    }
}
