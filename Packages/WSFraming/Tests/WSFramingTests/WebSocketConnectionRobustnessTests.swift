import Testing
import WSFraming

@Suite("Bad input never crashes, hangs or goes unanswered")
struct WebSocketConnectionRobustnessTests {
    @Test("random bytes: every failure is remote, carries a sendable close code, and closes", arguments: [WebSocketRole.server, .client])
    func randomBytes(_ role: WebSocketRole) {
        var rng = SeededRandom(seed: role == .server ? 1 : 2)
        for round in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var connection = WebSocketConnection(role: role, configuration: .init(maxFrameSize: 4096, maxMessageSize: 8192))
            let received = feed(bytes, to: &connection, split: round % 2 == 0 ? .whole : .random)
            if let error = received.error {
                #expect(error.fault == .remote)
                #expect(error.closeCode.map(\.isValidOnWire) == true)
                #expect(connection.state == .closed)
                #expect(frames(in: received.replies).last?.header.opcode == .close)
            }
        }
    }

    @Test("mutated valid traffic: any single flipped bit is either harmless or fails cleanly")
    func flippedBits() throws {
        var client = WebSocketConnection(role: .client, configuration: .init(fragmentation: .framesOfAtMost(7)))
        var wire: [UInt8] = []
        try client.sendText("κόσμε, hello", into: &wire)
        try client.sendPing([1, 2, 3], into: &wire)
        try client.sendBinary(Array(0..<40), into: &wire)
        try client.sendClose(code: .goingAway, reason: "bye", into: &wire)
        for index in wire.indices {
            for bit in 0..<8 {
                var mutated = wire
                mutated[index] ^= 1 << bit
                var server = WebSocketConnection(role: .server)
                let received = feed(mutated, to: &server)
                if let error = received.error {
                    #expect(error.closeCode.map(\.isValidOnWire) == true)
                    #expect(server.state == .closed)
                }
                _ = server.receiveEndOfInput()
                #expect(server.state == .closed)
            }
        }
    }

    @Test("a frame that declares a huge length but sends little holds only what arrived")
    func hugeDeclaredLength() {
        var server = WebSocketConnection(role: .server, configuration: .init(maxFrameSize: 1 << 30, maxMessageSize: 1 << 30))
        let header = FrameHeader(opcode: .binary, maskingKey: MaskingKey(1, 2, 3, 4), payloadLength: 1 << 30)
        let received = feed(header.encoded + [1, 2, 3], to: &server)
        #expect(received.events.isEmpty)
        #expect(received.error == nil)
        #expect(server.receiveEndOfInput().code == .abnormalClosure)
    }
}
