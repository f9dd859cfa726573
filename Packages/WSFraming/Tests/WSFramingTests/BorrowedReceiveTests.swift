import Testing
import WSFraming

/// `nextBorrowedEvent` is `nextEvent` without the copy: the same events, errors and replies
/// for any input and any split, with whole one-frame messages borrowed from the input.
@Suite("Receiving borrowed messages")
struct BorrowedReceiveTests {
    typealias Event = WebSocketConnection.Event

    /// Feeds `bytes` through `nextBorrowedEvent`, turning borrowed messages into events and
    /// counting them.
    func feedBorrowed(_ bytes: [UInt8], role: WebSocketRole, configuration: WebSocketConnection.Configuration = .default,
                      split: Split = .whole) -> (received: Received, borrowed: Int) {
        var connection = WebSocketConnection(role: role, configuration: configuration)
        var received = Received()
        var borrowed = 0
        for piece in split.pieces(of: bytes) {
            piece.withUnsafeBytes { buffer in
                var input = buffer
                do throws(FramingError) {
                    while let event = try connection.nextBorrowedEvent(from: &input, replies: &received.replies) {
                        switch event {
                        case .message(.text, let payload):
                            borrowed += 1
                            received.events.append(.text(String(decoding: payload, as: UTF8.self)))
                        case .message(.binary, let payload):
                            borrowed += 1
                            received.events.append(.binary(Array(payload)))
                        case .event(let owned):
                            received.events.append(owned)
                        }
                    }
                } catch {
                    received.error = received.error ?? error
                }
            }
        }
        return (received, borrowed)
    }

    @Test("the same events as nextEvent for random traffic, in any split, both roles", arguments: Split.allCases)
    func sameEvents(_ split: Split) throws {
        var rng = SeededRandom(seed: 11)
        for role in [WebSocketRole.server, .client] {
            let configuration = WebSocketConnection.Configuration(fragmentation: .framesOfAtMost(80))
            var sender = WebSocketConnection(role: role == .server ? .client : .server, configuration: configuration)
            var wire: [UInt8] = []
            for _ in 0..<80 {
                let length = Int.random(in: 0...200, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: try sender.sendText(String((0..<length).map { _ in "aé€😀".randomElement(using: &rng) ?? "a" }), into: &wire)
                case 1: try sender.sendBinary((0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }, into: &wire)
                default: try sender.sendPing((0..<min(length, 125)).map { _ in UInt8.random(in: 0...255, using: &rng) }, into: &wire)
                }
            }
            try sender.sendClose(code: .normalClosure, reason: "done", into: &wire)
            let owned = feed(wire, role: role, split: split)
            let (borrowed, count) = feedBorrowed(wire, role: role, split: split)
            #expect(borrowed.events == owned.events)
            // A client masks its pongs with random keys: compare their sizes only.
            #expect(role == .server ? borrowed.replies == owned.replies : borrowed.replies.count == owned.replies.count)
            #expect(borrowed.error == nil && owned.error == nil)
            if split == .whole { #expect(count > 0, "whole one-frame messages are borrowed") }
        }
    }

    @Test("an unmasked message is lent from the input; a masked one is unmasked into the connection's buffer, input untouched")
    func whereFrom() {
        let unmasked = serverFrame(.text, Array("from the input".utf8))
        var client = WebSocketConnection(role: .client)
        var replies: [UInt8] = []
        unmasked.withUnsafeBytes { buffer in
            var input = buffer
            guard case .message(.text, let payload)? = try? client.nextBorrowedEvent(from: &input, replies: &replies) else {
                Issue.record("expected a borrowed text message")
                return
            }
            #expect(payload.baseAddress == buffer.baseAddress! + 2)
            #expect(input.isEmpty)
        }
        let masked = clientFrame(.binary, Array(0..<200))
        var server = WebSocketConnection(role: .server)
        masked.withUnsafeBytes { buffer in
            var input = buffer
            guard case .message(.binary, let payload)? = try? server.nextBorrowedEvent(from: &input, replies: &replies) else {
                Issue.record("expected a borrowed binary message")
                return
            }
            #expect(Array(payload) == Array(0..<200))
            #expect(!(buffer.baseAddress!...buffer.baseAddress! + buffer.count).contains(payload.baseAddress!))
        }
        #expect(masked == clientFrame(.binary, Array(0..<200)), "the input is not written")
    }

    @Test("connections sharing an unmask buffer lend from it, one after the other; a message larger than it, from their own")
    func sharedUnmaskBuffer() {
        let shared = UnmaskBuffer(capacity: 300)
        #expect(shared.capacity == 512, "a power of two")
        #expect(UnmaskBuffer().capacity == WebSocketConnection.maxBorrowedPayloadSize)
        var first = WebSocketConnection(role: .server), second = WebSocketConnection(role: .server)
        first.shareUnmaskBuffer(shared)
        second.shareUnmaskBuffer(shared)
        var replies: [UInt8] = []
        func lent(_ connection: inout WebSocketConnection, _ bytes: [UInt8]) -> (UnsafeRawPointer?, [UInt8])? {
            clientFrame(.binary, bytes).withUnsafeBytes { buffer in
                var input = buffer
                guard case .message(.binary, let payload)? = try? connection.nextBorrowedEvent(from: &input, replies: &replies) else { return nil }
                return (payload.baseAddress, Array(payload))
            }
        }
        let a = lent(&first, Array(0..<100)), b = lent(&second, Array(repeating: 7, count: 120))
        #expect(a?.1 == Array(0..<100) && b?.1 == Array(repeating: 7, count: 120))
        #expect(a?.0 != nil && a?.0 == b?.0, "both lent from the shared buffer")
        // 600 bytes do not fit in 512: the connection unmasks into memory of its own, and
        // keeps using it; the other still shares.
        let large = lent(&first, Array(repeating: 3, count: 600)), after = lent(&second, [1, 2, 3])
        #expect(large?.1 == Array(repeating: 3, count: 600) && after?.1 == [1, 2, 3])
        #expect(large?.0 != b?.0 && after?.0 == b?.0)
    }

    @Test("a message over maxBorrowedPayloadSize comes as a value")
    func largeIsOwned() {
        let bytes = clientFrame(.binary, [UInt8](repeating: 1, count: WebSocketConnection.maxBorrowedPayloadSize + 1))
        let (received, count) = feedBorrowed(bytes, role: .server, configuration: .init(maxFrameSize: 1 << 20, maxMessageSize: 1 << 20))
        #expect(count == 0)
        #expect(received.events == [.binary([UInt8](repeating: 1, count: WebSocketConnection.maxBorrowedPayloadSize + 1))])
    }

    @Test("invalid UTF-8 in a borrowed message fails with 1007, as nextEvent does", arguments: Split.allCases)
    func invalidUTF8(_ split: Split) {
        let bytes = clientFrame(.text, Array("ok".utf8)) + clientFrame(.text, [0x61, 0xC3, 0x28])
        let owned = feed(bytes, role: .server, split: split)
        let (borrowed, _) = feedBorrowed(bytes, role: .server, split: split)
        #expect(borrowed.error?.closeCode == .invalidPayloadData)
        #expect(borrowed.events == owned.events)
        #expect(borrowed.replies == owned.replies)
    }

    @Test("frames the quick path must leave to the general one fail as nextEvent fails them", arguments: [
        // a whole text frame inside a fragmented message
        clientFrame(.text, Array("start".utf8), isFinal: false) + clientFrame(.text, Array("new".utf8)),
        // an unmasked frame to a server
        serverFrame(.binary, [1, 2, 3]),
        // a frame over the frame limit (100 bytes here)
        clientFrame(.binary, [UInt8](repeating: 9, count: 120)),
        // invalid UTF-8 in a small text frame
        clientFrame(.text, [0xC3, 0x28]),
    ])
    func quickPathRefusals(_ bytes: [UInt8]) {
        let configuration = WebSocketConnection.Configuration(maxFrameSize: 100, maxMessageSize: 100)
        let owned = feed(bytes, role: .server, configuration: configuration)
        let (borrowed, _) = feedBorrowed(bytes, role: .server, configuration: configuration)
        #expect(borrowed.error != nil)
        #expect(borrowed.error == owned.error)
        #expect(borrowed.replies == owned.replies)
        #expect(borrowed.events == owned.events)
    }

    @Test("a protocol violation after a borrowed message fails as nextEvent does")
    func violation() {
        let bytes = clientFrame(.binary, [1, 2, 3]) + serverFrame(.text, Array("unmasked".utf8))
        let owned = feed(bytes, role: .server)
        let (borrowed, count) = feedBorrowed(bytes, role: .server)
        #expect(count == 1)
        #expect(borrowed.events == owned.events)
        #expect(borrowed.error == owned.error)
        #expect(borrowed.replies == owned.replies)
    }
}
