import Testing
import WSFraming

/// With a deferred failure policy, a violation stops the input at once but lets the caller
/// answer what came before it, then send the failing Close.
@Suite("Deferred failure")
struct DeferredFailureTests {
    static let deferred = WebSocketConnection.Configuration(failurePolicy: .deferred)
    /// "Hello", then a frame with a reserved opcode, then more that must be ignored.
    static let wire = clientFrame(.text, Array("Hello".utf8)) + [0x83, 0x80, 1, 2, 3, 4] + clientFrame(.text, Array("ignored".utf8))

    @Test("the violation throws and stops the input, but writes no Close and keeps the connection open")
    func holdsTheClose() {
        var connection = WebSocketConnection(role: .server, configuration: Self.deferred)
        let received = feed(Self.wire, to: &connection)
        #expect(received.events == [.text("Hello")])
        #expect(received.error?.closeCode == .protocolError)
        #expect(received.replies.isEmpty)
        #expect(connection.state == .open)
        #expect(connection.pendingFailure?.closeCode == .protocolError)
        #expect(feed(clientFrame(.text, Array("later".utf8)), to: &connection).events.isEmpty, "input is ignored")
    }

    @Test("answers go out before the failing Close, which completeFailure writes as an immediate failure would")
    func answerThenClose() throws {
        var deferred = WebSocketConnection(role: .server, configuration: Self.deferred)
        _ = feed(Self.wire, to: &deferred)
        var out: [UInt8] = []
        try deferred.sendText("Hello", into: &out)
        deferred.completeFailure(into: &out)

        var immediate = WebSocketConnection(role: .server)
        let failed = feed(Self.wire, to: &immediate)
        #expect(out == serverFrame(.text, Array("Hello".utf8)) + failed.replies)
        #expect(deferred.state == .closed)
        #expect(deferred.outcome == immediate.outcome)
        #expect(deferred.pendingFailure == nil)
        #expect(throws: FramingError.self) { try deferred.sendText("too late", into: &out) }
    }

    @Test("sendClose while a failure waits writes the failure's Close, not the caller's")
    func sendCloseCompletes() throws {
        var connection = WebSocketConnection(role: .server, configuration: Self.deferred)
        _ = feed(Self.wire, to: &connection)
        var out: [UInt8] = []
        try connection.sendClose(code: .normalClosure, reason: "bye", into: &out)
        #expect(Array(out.prefix(4)) == [0x88, UInt8(out.count - 2), 0x03, 0xEA])
        #expect(connection.state == .closed)
    }

    @Test("the peer leaving before the Close went out reports the failure, not clean")
    func endOfInput() {
        var connection = WebSocketConnection(role: .server, configuration: Self.deferred)
        _ = feed(Self.wire, to: &connection)
        let outcome = connection.receiveEndOfInput()
        #expect(outcome.code == .protocolError)
        #expect(!outcome.wasClean)
    }

    @Test("a violation while closing fails at once, as there is nothing left to answer")
    func whileClosing() throws {
        var connection = WebSocketConnection(role: .server, configuration: Self.deferred)
        var out: [UInt8] = []
        try connection.sendClose(into: &out)
        let received = feed([0x83, 0x80, 1, 2, 3, 4], to: &connection)
        #expect(received.error != nil)
        #expect(connection.state == .closed)
        #expect(connection.pendingFailure == nil)
    }
}
