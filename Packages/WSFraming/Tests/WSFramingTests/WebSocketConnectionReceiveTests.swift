import Testing
import WSFraming

@Suite("Receiving messages (RFC 6455 §5, §6.2)")
struct WebSocketConnectionReceiveTests {
    typealias Event = WebSocketConnection.Event

    @Test("RFC 6455 §5.7: a single-frame unmasked text message, to a client", arguments: Split.allCases)
    func unmaskedText(_ split: Split) {
        let received = feed(hex("81 05 48 65 6c 6c 6f"), role: .client, split: split)
        #expect(received.events == [.text("Hello")])
        #expect(received.error == nil)
    }

    @Test("RFC 6455 §5.7: a single-frame masked text message, to a server", arguments: Split.allCases)
    func maskedText(_ split: Split) {
        let received = feed(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), role: .server, split: split)
        #expect(received.events == [.text("Hello")])
    }

    @Test("RFC 6455 §5.7: a fragmented unmasked text message", arguments: Split.allCases)
    func fragmentedText(_ split: Split) {
        let received = feed(hex("01 03 48 65 6c 80 02 6c 6f"), role: .client, split: split)
        #expect(received.events == [.text("Hello")])
    }

    @Test("RFC 6455 §5.7: an unmasked Ping gets the masked Pong of the example", arguments: Split.allCases)
    func pingPong(_ split: Split) {
        var client = WebSocketConnection(role: .client, maskingKeys: FixedMaskingKeys(MaskingKey(0x37, 0xFA, 0x21, 0x3D)))
        let received = feed(hex("89 05 48 65 6c 6c 6f"), to: &client, split: split)
        #expect(received.events == [.ping(Array("Hello".utf8))])
        #expect(received.replies == hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"))
    }

    @Test("RFC 6455 §5.7: 256-byte and 64 KiB binary messages in single unmasked frames", arguments: Split.allCases)
    func binaryLengths(_ split: Split) {
        let small = (0..<256).map { UInt8($0 & 0xFF) }
        let large = (0..<65536).map { UInt8(($0 * 7) & 0xFF) }
        let configuration = WebSocketConnection.Configuration(maxFrameSize: 1 << 17, maxMessageSize: 1 << 17)
        let split = split == .byteByByte ? .random : split  // 64 KiB one byte at a time is slow and adds nothing
        let received = feed(hex("82 7e 01 00") + small + hex("82 7f 00 00 00 00 00 01 00 00") + large,
                            role: .client, configuration: configuration, split: split)
        #expect(received.events == [.binary(small), .binary(large)])
    }

    @Test("control frames interleave with a fragmented message (RFC 6455 §5.4)", arguments: Split.allCases)
    func interleavedControl(_ split: Split) {
        let bytes = clientFrame(.text, Array("Hel".utf8), isFinal: false)
            + clientFrame(.ping, [1, 2])
            + clientFrame(.continuation, Array("l".utf8), isFinal: false)
            + clientFrame(.pong, [3])
            + clientFrame(.continuation, Array("o".utf8))
        let received = feed(bytes, role: .server, split: split)
        #expect(received.events == [.ping([1, 2]), .pong([3]), .text("Hello")])
        #expect(frames(in: received.replies).map(\.payload) == [[1, 2]])
        #expect(frames(in: received.replies).map(\.header.opcode) == [.pong])
    }

    @Test("empty messages and empty fragments (RFC 6455 §5.4)", arguments: Split.allCases)
    func emptyMessages(_ split: Split) {
        let bytes = clientFrame(.text, []) + clientFrame(.binary, [])
            + clientFrame(.binary, [], isFinal: false) + clientFrame(.continuation, [], isFinal: false) + clientFrame(.continuation, [])
        #expect(feed(bytes, role: .server, split: split).events == [.text(""), .binary([]), .binary([])])
    }

    @Test("a text message split inside a character across fragments is valid (RFC 6455 §8.1)", arguments: Split.allCases)
    func characterAcrossFragments(_ split: Split) {
        let euro = Array("€".utf8)  // e2 82 ac
        let bytes = clientFrame(.text, [euro[0]], isFinal: false) + clientFrame(.continuation, [euro[1]], isFinal: false)
            + clientFrame(.continuation, [euro[2]])
        #expect(feed(bytes, role: .server, split: split).events == [.text("€")])
    }

    @Test("round-trips random messages between client and server, in any split", arguments: Split.allCases)
    func randomRoundTrip(_ split: Split) throws {
        var rng = SeededRandom(seed: 3)
        let configuration = WebSocketConnection.Configuration(fragmentation: .framesOfAtMost(50))
        var client = WebSocketConnection(role: .client, configuration: configuration)
        var expected: [Event] = []
        var wire: [UInt8] = []
        for _ in 0..<60 {
            let length = Int.random(in: 0...200, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                let text = String((0..<length).map { _ in "aé€😀".randomElement(using: &rng) ?? "a" })
                try client.sendText(text, into: &wire)
                expected.append(.text(text))
            case 1:
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                try client.sendBinary(bytes, into: &wire)
                expected.append(.binary(bytes))
            default:
                let payload = (0..<min(length, 125)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                try client.sendPing(payload, into: &wire)
                expected.append(.ping(payload))
            }
        }
        let received = feed(wire, role: .server, split: split)
        #expect(received.error == nil)
        #expect(received.events == expected)
    }

    // MARK: Masking rules

    @Test("a server fails an unmasked frame with 1002 (RFC 6455 §5.1)")
    func serverRequiresMask() {
        let received = feed(serverFrame(.text, Array("hi".utf8)), role: .server)
        #expect(received.error?.code == .maskRequired)
        #expect(frames(in: received.replies).map(\.payload) == [hex("03 ea") + Array((received.error?.message ?? "").utf8.prefix(123))])
    }

    @Test("a client fails a masked frame with 1002 (RFC 6455 §5.1)")
    func clientForbidsMask() {
        let received = feed(clientFrame(.text, Array("hi".utf8)), role: .client)
        #expect(received.error?.code == .maskForbidden)
        #expect(received.error?.closeCode == .protocolError)
    }

    // MARK: Continuation rules

    @Test("a continuation with no message in progress fails with 1002 (RFC 6455 §5.4)", arguments: Split.allCases)
    func strayContinuation(_ split: Split) {
        let received = feed(clientFrame(.continuation, Array("x".utf8)), role: .server, split: split)
        #expect(received.error?.code == .unexpectedContinuation)
    }

    @Test("a new data frame inside a fragmented message fails with 1002 (RFC 6455 §5.4)", arguments: Split.allCases)
    func interruptedMessage(_ split: Split) {
        let received = feed(clientFrame(.text, Array("a".utf8), isFinal: false) + clientFrame(.binary, [1]), role: .server, split: split)
        #expect(received.error?.code == .expectedContinuation)
        #expect(received.events.isEmpty)
    }

    @Test("reserved bits without an extension fail with 1002 (RFC 6455 §5.2)", arguments: [ReservedBits.rsv1, .rsv2, .rsv3])
    func reservedBits(_ bits: ReservedBits) {
        for opcode in [Opcode.text, .binary, .ping] {
            let received = feed(clientFrame(opcode, [0x61], reservedBits: bits), role: .server)
            #expect(received.error?.code == .reservedBitsSet)
        }
    }

    @Test("a reserved opcode fails the connection with 1002 and a Close frame (RFC 6455 §5.2)")
    func reservedOpcodeFails() {
        var connection = WebSocketConnection(role: .client)
        let received = feed([0x83, 0x00], to: &connection)
        #expect(received.error?.code == .reservedOpcode)
        #expect(frames(in: received.replies).first?.payload.prefix(2) == [0x03, 0xEA])
        #expect(connection.state == .closed)
        #expect(connection.outcome?.code == .protocolError)
        #expect(connection.outcome?.wasClean == false)
    }

    // MARK: UTF-8

    @Test("invalid UTF-8 in a single frame fails with 1007 (RFC 6455 §8.1)")
    func invalidText() {
        let received = feed(clientFrame(.text, hex("ce ba ed a0 80")), role: .server)
        #expect(received.error?.code == .invalidUTF8)
        #expect(received.error?.closeCode == .invalidPayloadData)
        #expect(frames(in: received.replies).first?.payload.prefix(2) == [0x03, 0xEF])
    }

    @Test("fails fast: invalid UTF-8 in the first fragment fails before the message ends (RFC 6455 §8.1)", arguments: Split.allCases)
    func failsFastAcrossFragments(_ split: Split) {
        // Autobahn 6.4.1's shape: the invalid part arrives; the rest never does.
        let received = feed(clientFrame(.text, hex("ce ba e1 bd b9 cf 83 ce bc ce b5 f4 90 80 80"), isFinal: false), role: .server, split: split)
        #expect(received.error?.code == .invalidUTF8)
    }

    @Test("fails fast inside a frame whose end has not arrived (RFC 6455 §8.1)")
    func failsFastInsideFrame() {
        let frame = clientFrame(.text, hex("ce ba f4 90 80 80") + Array(repeating: 0x61, count: 100))
        let received = feed(Array(frame.prefix(6 + 4)), role: .server)  // header and 4 payload bytes
        #expect(received.error?.code == .invalidUTF8)
    }

    @Test("a text message that ends inside a character fails with 1007 (RFC 6455 §8.1)", arguments: Split.allCases)
    func truncatedText(_ split: Split) {
        let received = feed(clientFrame(.text, hex("41 e2 82"), isFinal: false) + clientFrame(.continuation, []), role: .server, split: split)
        #expect(received.error?.code == .invalidUTF8)
    }

    @Test("binary messages are not checked for UTF-8")
    func binaryNotValidated() {
        #expect(feed(clientFrame(.binary, hex("ff fe ed a0 80")), role: .server).events == [.binary(hex("ff fe ed a0 80"))])
    }

    // MARK: Limits

    @Test("a frame over the frame limit fails with 1009 as soon as its header arrives")
    func frameLimit() {
        let configuration = WebSocketConnection.Configuration(maxFrameSize: 100, maxMessageSize: 1000)
        let frame = clientFrame(.binary, Array(repeating: 0, count: 101))
        let received = feed(Array(frame.prefix(6)), role: .server, configuration: configuration)
        #expect(received.error?.code == .frameTooLarge)
        #expect(received.error?.closeCode == .messageTooBig)
        #expect(frames(in: received.replies).first?.payload.prefix(2) == [0x03, 0xF1])
    }

    @Test("a fragmented message over the message limit fails with 1009 at the frame that passes it")
    func messageLimit() {
        let configuration = WebSocketConnection.Configuration(maxFrameSize: 100, maxMessageSize: 150)
        let bytes = clientFrame(.binary, Array(repeating: 0, count: 100), isFinal: false)
            + Array(clientFrame(.continuation, Array(repeating: 0, count: 51)).prefix(8))
        let received = feed(bytes, role: .server, configuration: configuration)
        #expect(received.error?.code == .messageTooLarge)
        #expect(received.error?.closeCode == .messageTooBig)
    }

    @Test("messages at exactly the limits pass")
    func atLimits() {
        let configuration = WebSocketConnection.Configuration(maxFrameSize: 100, maxMessageSize: 150)
        let bytes = clientFrame(.binary, Array(repeating: 1, count: 100), isFinal: false) + clientFrame(.continuation, Array(repeating: 1, count: 50))
        #expect(feed(bytes, role: .server, configuration: configuration).events == [.binary(Array(repeating: 1, count: 150))])
    }

    // MARK: Streaming

    @Test("streaming mode hands out a message's pieces as they arrive, without assembling it")
    func streaming() {
        let configuration = WebSocketConnection.Configuration(delivery: .streaming)
        var server = WebSocketConnection(role: .server, configuration: configuration)
        let first = clientFrame(.text, Array("Hello, ".utf8), isFinal: false)
        let second = clientFrame(.continuation, Array("world".utf8))
        var received = feed(first + Array(second.prefix(8)), to: &server)  // header (6) and "wo"
        #expect(received.events == [
            .fragment(MessageFragment(kind: .text, bytes: Array("Hello, ".utf8), isFirst: true, isFinal: false)),
            .fragment(MessageFragment(kind: .text, bytes: Array("wo".utf8), isFirst: false, isFinal: false)),
        ])
        received = feed(Array(second.dropFirst(8)) + clientFrame(.binary, [9]), to: &server)
        #expect(received.events == [
            .fragment(MessageFragment(kind: .text, bytes: Array("rld".utf8), isFirst: false, isFinal: true)),
            .fragment(MessageFragment(kind: .binary, bytes: [9], isFirst: true, isFinal: true)),
        ])
    }

    @Test("streaming mode gives the same bytes in any split, and still checks UTF-8 and limits", arguments: Split.allCases)
    func streamingSplits(_ split: Split) {
        let configuration = WebSocketConnection.Configuration(maxMessageSize: 300, delivery: .streaming)
        let text = String(repeating: "κόσμε ", count: 20)
        let bytes = clientFrame(.text, Array(text.utf8.prefix(100)), isFinal: false) + clientFrame(.continuation, Array(text.utf8.dropFirst(100)))
        let received = feed(bytes, role: .server, configuration: configuration, split: split)
        var joined: [UInt8] = []
        for case .fragment(let piece) in received.events { joined += piece.bytes }
        #expect(joined == Array(text.utf8))
        #expect(received.events.filter { if case .fragment(let p) = $0 { p.isFinal } else { false } }.count == 1)

        let bad = feed(clientFrame(.text, hex("61 ff"), isFinal: false), role: .server, configuration: configuration, split: split)
        #expect(bad.error?.code == .invalidUTF8)
        let big = feed(clientFrame(.binary, Array(repeating: 0, count: 301)), role: .server, configuration: configuration, split: split)
        #expect(big.error?.code == .messageTooLarge)
    }

    // MARK: Pings

    @Test("with manual pongs, a Ping is only reported (RFC 6455 §5.5.2)")
    func manualPong() {
        let received = feed(clientFrame(.ping, [7]), role: .server, configuration: .init(pongPolicy: .manual))
        #expect(received.events == [.ping([7])])
        #expect(received.replies.isEmpty)
    }

    @Test("a 125-byte Ping is answered with the same 125 bytes (RFC 6455 §5.5.2)")
    func largestPing() {
        let payload = (0..<125).map { UInt8($0) }
        let received = feed(clientFrame(.ping, payload), role: .server)
        #expect(frames(in: received.replies).map(\.payload) == [payload])
    }
}
