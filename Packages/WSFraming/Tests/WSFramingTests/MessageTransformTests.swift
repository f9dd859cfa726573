import Testing
import WSFraming

/// A test extension claiming RSV1 that "compresses" by inverting every byte and appending a
/// marker byte, and decodes in pieces, so the extension point is exercised as
/// permessage-deflate will use it.
final class InvertingTransform: MessageTransform {
    let reservedBits: ReservedBits = .rsv1
    var threshold = 0
    var decodedPieces = 0
    private var held: UInt8?

    func decode(_ input: UnsafeRawBufferPointer, isFinal: Bool, output: (UnsafeRawBufferPointer) -> Bool) throws(FramingError) {
        // The marker is the message's last byte, which may come in any piece: hold one byte back.
        for byte in input.map({ ~$0 }) {
            if let held {
                decodedPieces += 1
                // Hand the output out a byte at a time, as an inflater with a small buffer would.
                guard [held].withUnsafeBytes({ output($0) }) else { return }
            }
            held = byte
        }
        if isFinal {
            guard held == 0xEE else { throw .extensionFailure("missing end marker") }
            held = nil
        }
    }

    func encode(_ payload: UnsafeRawBufferPointer, kind: MessageKind) throws(FramingError) -> (bytes: [UInt8], reservedBits: ReservedBits)? {
        guard payload.count >= threshold else { return nil }
        return (payload.map { ~$0 } + [~0xEE], .rsv1)
    }
}

@Suite("The per-message extension point (RFC 6455 §9, RFC 7692 §6)")
struct MessageTransformTests {
    @Test("a transformed message round-trips, and RSV1 is set on its first frame only", arguments: Split.allCases)
    func roundTrip(_ split: Split) throws {
        let configuration = WebSocketConnection.Configuration(fragmentation: .framesOfAtMost(3))
        var client = WebSocketConnection(role: .client, configuration: configuration, transform: InvertingTransform())
        var wire: [UInt8] = []
        try client.sendText("Hello, κόσμε", into: &wire)
        try client.sendBinary([1, 2, 3, 4, 5], into: &wire)
        let sent = frames(in: wire)
        #expect(sent.filter { $0.header.reservedBits == .rsv1 }.count == 2)
        #expect(sent.allSatisfy { $0.header.reservedBits.isEmpty || $0.header.opcode != .continuation })
        let received = feed(wire, role: .server, transform: InvertingTransform(), split: split)
        #expect(received.error == nil)
        #expect(received.events == [.text("Hello, κόσμε"), .binary([1, 2, 3, 4, 5])])
    }

    @Test("a transform may decline a message: it goes untransformed, without RSV1")
    func declined() throws {
        let transform = InvertingTransform()
        transform.threshold = 100
        var client = WebSocketConnection(role: .client, transform: transform)
        var wire: [UInt8] = []
        try client.sendText("short", into: &wire)
        #expect(frames(in: wire).first?.header.reservedBits == [])
        #expect(feed(wire, role: .server, transform: InvertingTransform()).events == [.text("short")])
    }

    @Test("RSV1 on a continuation frame fails with 1002 (RFC 7692 §6.1)")
    func rsv1OnContinuation() {
        let bytes = clientFrame(.text, [~0x61], isFinal: false, reservedBits: .rsv1) + clientFrame(.continuation, [~0xEE], reservedBits: .rsv1)
        #expect(feed(bytes, role: .server, transform: InvertingTransform()).error?.code == .reservedBitsSet)
    }

    @Test("RSV1 on a control frame fails with 1002 (RFC 7692 §6.1)")
    func rsv1OnControl() {
        #expect(feed(clientFrame(.ping, [], reservedBits: .rsv1), role: .server, transform: InvertingTransform()).error?.code == .reservedBitsSet)
    }

    @Test("bits the extension does not claim still fail with 1002 (RFC 6455 §5.2)")
    func unclaimedBits() {
        #expect(feed(clientFrame(.text, [], reservedBits: .rsv2), role: .server, transform: InvertingTransform()).error?.code == .reservedBitsSet)
    }

    @Test("the decoded size is limited: the transform stops at once with 1009")
    func decodedLimit() {
        let transform = InvertingTransform()
        let payload = Array(repeating: ~UInt8(0x61), count: 1000) + [~0xEE]
        let received = feed(clientFrame(.binary, payload, reservedBits: .rsv1), role: .server,
                            configuration: .init(maxFrameSize: 2000, maxMessageSize: 100), transform: transform)
        #expect(received.error?.code == .messageTooLarge)
        #expect(received.error?.closeCode == .messageTooBig)
        #expect(transform.decodedPieces == 101, "the transform stopped at the first byte over the limit")
    }

    @Test("decoded text is checked for UTF-8 (RFC 6455 §8.1)")
    func decodedUTF8() {
        let received = feed(clientFrame(.text, [~0xFF, ~0xEE], reservedBits: .rsv1), role: .server, transform: InvertingTransform())
        #expect(received.error?.code == .invalidUTF8)
    }

    @Test("an error from the transform fails the connection")
    func transformError() {
        let received = feed(clientFrame(.binary, [1, 2], reservedBits: .rsv1), role: .server, transform: InvertingTransform())
        #expect(received.error?.code == .extensionFailure)
        #expect(frames(in: received.replies).first?.payload.prefix(2) == [0x03, 0xEF])
    }
}
