import Testing
import WSFraming

@Suite("Sending messages (RFC 6455 §5, §6.1)")
struct WebSocketConnectionSendTests {
    @Test("a server sends unmasked frames, RFC 6455 §5.7's first example")
    func serverText() throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try server.sendText("Hello", into: &out)
        #expect(out == hex("81 05 48 65 6c 6c 6f"))
    }

    @Test("a binary message of 256 bytes gets the 16-bit length of RFC 6455 §5.7")
    func binaryLength() throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try server.sendBinary(Array(repeating: 0xAB, count: 256), into: &out)
        #expect(Array(out.prefix(4)) == hex("82 7e 01 00"))
        #expect(out.count == 4 + 256)
    }

    @Test("messages are cut into frames of the configured size (RFC 6455 §5.4)")
    func fragmentation() throws {
        var client = WebSocketConnection(role: .client, configuration: .init(fragmentation: .framesOfAtMost(4)))
        var out: [UInt8] = []
        try client.sendText("Hello, world", into: &out)
        let sent = frames(in: out)
        #expect(sent.map(\.header.opcode) == [.text, .continuation, .continuation])
        #expect(sent.map(\.header.isFinal) == [false, false, true])
        #expect(sent.map(\.payload) == [Array("Hell".utf8), Array("o, w".utf8), Array("orld".utf8)])
        #expect(Set(sent.compactMap(\.header.maskingKey)).count == 3, "a fresh key for each frame")
    }

    @Test("sendFragment sends a message in parts, with control frames between (RFC 6455 §5.4)")
    func manualFragments() throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try server.sendFragment(.binary, [1], isFinal: false, into: &out)
        try server.sendPing([9], into: &out)
        #expect(throws: FramingError.self) { try server.sendText("no", into: &out) }
        try server.sendFragment(.text, [2], isFinal: false, into: &out)  // kind ignored after the first
        try server.sendFragment(.binary, [3], isFinal: true, into: &out)
        try server.sendText("next", into: &out)
        #expect(frames(in: out).map(\.header.opcode) == [.binary, .ping, .continuation, .continuation, .text])
        let received = feed(out, role: .client)
        #expect(received.events == [.ping([9]), .binary([1, 2, 3]), .text("next")])
    }

    @Test("a ping or pong payload over 125 bytes is refused locally (RFC 6455 §5.5)")
    func controlLimit() throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try server.sendPing(Array(repeating: 0, count: 125), into: &out)
        let error = #expect(throws: FramingError.self) { try server.sendPong(Array(repeating: 0, count: 126), into: &out) }
        #expect(error?.code == .controlPayloadTooLarge)
        #expect(error?.fault == .local)
        #expect(error?.closeCode == nil)
        #expect(frames(in: out).count == 1)
    }

    @Test("close codes that may not be sent are refused locally (RFC 6455 §7.4)", arguments: [1004, 1005, 1006, 1015, 999, 2000, 5000] as [UInt16])
    func unsendableCodes(_ code: UInt16) {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        let error = #expect(throws: FramingError.self) { try server.sendClose(code: CloseCode(code), into: &out) }
        #expect(error?.code == .unsendableCloseCode)
        #expect(out.isEmpty)
        #expect(server.state == .open)
    }

    @Test("a close reason longer than 123 bytes is refused locally (RFC 6455 §5.5)")
    func longReason() throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        #expect(throws: FramingError.self) { try server.sendClose(reason: String(repeating: "é", count: 62), into: &out) }
        try server.sendClose(reason: String(repeating: "x", count: 123), into: &out)
        #expect(frames(in: out).first?.payload.count == 125)
    }

    @Test("a Close with no code has an empty payload (RFC 6455 §5.5.1)")
    func closeWithoutCode() throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try server.sendClose(code: nil, reason: "ignored", into: &out)
        #expect(out == hex("88 00"))
    }

    enum Send: CaseIterable { case text, binary, fragment, ping, pong, close }

    @Test("nothing is sent after our Close (RFC 6455 §5.5.1)", arguments: Send.allCases)
    func nothingAfterClose(_ send: Send) throws {
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try server.sendClose(into: &out)
        var scratch: [UInt8] = []
        let error = #expect(throws: FramingError.self) {
            switch send {
            case .text: try server.sendText("x", into: &scratch)
            case .binary: try server.sendBinary([1], into: &scratch)
            case .fragment: try server.sendFragment(.binary, [1], isFinal: false, into: &scratch)
            case .ping: try server.sendPing(into: &scratch)
            case .pong: try server.sendPong(into: &scratch)
            case .close: try server.sendClose(into: &scratch)
            }
        }
        #expect(error?.code == .connectionClosed)
        #expect(error?.fault == .local)
        #expect(scratch.isEmpty)
    }

    @Test("nothing is sent after the peer's Close was answered")
    func nothingAfterPeerClose() {
        var server = WebSocketConnection(role: .server)
        _ = feed(clientFrame(.close, []), to: &server)
        var out: [UInt8] = []
        #expect(throws: FramingError.self) { try server.sendText("x", into: &out) }
        #expect(out.isEmpty)
    }

    @Test("errors say who is at fault and, for a person, what was wrong")
    func errorDescriptions() {
        let remote = feed(clientFrame(.text, hex("ff")), role: .server).error
        #expect(remote?.description.contains("peer violated the WebSocket protocol (close code 1007)") == true)
        var server = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        let local = #expect(throws: FramingError.self) { try server.sendPing(Array(repeating: 0, count: 200), into: &out) }
        #expect(local?.description.hasPrefix("invalid use of the WebSocket connection") == true)
    }
}
