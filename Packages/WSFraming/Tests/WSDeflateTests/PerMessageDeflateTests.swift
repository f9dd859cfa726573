import Testing
import WSDeflate
import WSFraming

@Suite("permessage-deflate: RFC 7692's examples, round trips, and bombs")
struct PerMessageDeflateTests {
    /// Decodes server frames `bytes` as a client with permessage-deflate.
    func receive(_ bytes: [UInt8], connection: inout WebSocketConnection) throws -> [WebSocketConnection.Event] {
        var replies: [UInt8] = []
        return try connection.receive(bytes, replies: &replies)
    }

    func client(_ parameters: PerMessageDeflate.Parameters = .init(), maxMessageSize: Int = 1 << 20) -> WebSocketConnection {
        var configuration = WebSocketConnection.Configuration()
        configuration.maxMessageSize = maxMessageSize
        configuration.maxFrameSize = maxMessageSize
        return WebSocketConnection(role: .client, configuration: configuration, transform: PerMessageDeflate(parameters: parameters))
    }

    @Test("§7.2.3.1 a message compressed; §7.2.3.3 a stored block; §7.2.3.4 BFINAL set; §7.2.3.5 two blocks", arguments: [
        [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
        [0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00],
        [0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
        [0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00],
    ] as [[UInt8]])
    func examples(frame: [UInt8]) throws {
        var connection = client()
        #expect(try receive(frame, connection: &connection) == [.text("Hello")])
    }

    @Test("§7.2.3.1 in fragments: the compressed payload split over two frames")
    func fragmented() throws {
        var connection = client()
        let frames: [UInt8] = [0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00]
        #expect(try receive(frames, connection: &connection) == [.text("Hello")])
    }

    @Test("§7.2.3.2 the shared window: the second Hello refers back to the first")
    func sharedWindow() throws {
        var connection = client()
        let frames: [UInt8] = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00]
        #expect(try receive(frames, connection: &connection) == [.text("Hello"), .text("Hello")])
    }

    @Test("our encoder gives the RFC's bytes for Hello, then Hello again with the shared window")
    func encoderMatchesRFC() throws {
        let deflate = PerMessageDeflate(compression: .init(threshold: 0))
        let first = try Array("Hello".utf8).withUnsafeBytes { try deflate.encode($0, kind: .text) }
        #expect(first?.bytes == [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])
        #expect(first?.reservedBits == .rsv1)
        let second = try Array("Hello".utf8).withUnsafeBytes { try deflate.encode($0, kind: .text) }
        #expect(second?.bytes == [0xf2, 0x00, 0x11, 0x00, 0x00])
    }

    @Test("round trips between two connections, every combination of context takeover and window", arguments: [
        (false, false, 15), (true, false, 15), (false, true, 12), (true, true, 9),
    ])
    func roundTrips(outboundReset: Bool, inboundReset: Bool, bits: Int) throws {
        let serverSide = PerMessageDeflate.Parameters(outboundNoContextTakeover: outboundReset, inboundNoContextTakeover: inboundReset,
                                                      outboundMaxWindowBits: bits, inboundMaxWindowBits: bits)
        let clientSide = PerMessageDeflate.Parameters(outboundNoContextTakeover: inboundReset, inboundNoContextTakeover: outboundReset,
                                                      outboundMaxWindowBits: bits, inboundMaxWindowBits: bits)
        var configuration = WebSocketConnection.Configuration()
        configuration.maxMessageSize = 4 << 20
        configuration.maxFrameSize = 4 << 20
        var server = WebSocketConnection(role: .server, configuration: configuration, transform: PerMessageDeflate(parameters: serverSide))
        var client = WebSocketConnection(role: .client, configuration: configuration, transform: PerMessageDeflate(parameters: clientSide))
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefgh  {}\":,0123456789".utf8)
        for round in 0..<14 {
            let size = [0, 1, 63, 64, 1000, 70_000, 300_000][round % 7]
            let text = String(decoding: (0..<size).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }, as: UTF8.self)
            var wire: [UInt8] = []
            try server.sendText(text, into: &wire)
            var replies: [UInt8] = []
            #expect(try client.receive(wire, replies: &replies) == [.text(text)], "server to client, round \(round)")
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...3, using: &generator) }
            wire = []
            try client.sendBinary(bytes, into: &wire)
            #expect(try server.receive(wire, replies: &replies) == [.binary(bytes)], "client to server, round \(round)")
        }
    }

    @Test("a decompression bomb stops at the message limit with 1009, at once")
    func bomb() throws {
        // 16 MiB of zeros compress to about 16 KiB.
        let deflate = PerMessageDeflate(compression: .init(threshold: 0))
        let zeros = [UInt8](repeating: 0, count: 16 << 20)
        let compressed = try #require(try zeros.withUnsafeBytes { try deflate.encode($0, kind: .binary) })
        #expect(compressed.bytes.count < 40_000)
        var header: [UInt8] = []
        FrameWriter.write(FrameHeader(isFinal: true, reservedBits: .rsv1, opcode: .binary, maskingKey: nil,
                                      payloadLength: compressed.bytes.count), payload: compressed.bytes, into: &header)
        var connection = client(maxMessageSize: 1 << 20)
        let clock = ContinuousClock()
        let started = clock.now
        let error = #expect(throws: FramingError.self) { _ = try receive(header, connection: &connection) }
        #expect(error?.closeCode == .messageTooBig)
        #expect(clock.now - started < .seconds(3)) // stopped after 1 MiB of output, not 16
    }

    @Test("corrupt compressed data fails with 1007; RSV1 on a continuation or a control frame with 1002")
    func violations() throws {
        var connection = client()
        let corrupt = #expect(throws: FramingError.self) { _ = try receive([0xc1, 0x03, 0xff, 0xff, 0xff], connection: &connection) }
        #expect(corrupt?.closeCode == .invalidPayloadData)
        var second = client()
        let continuation = #expect(throws: FramingError.self) {
            _ = try receive([0x41, 0x03, 0xf2, 0x48, 0xcd, 0xc0, 0x04, 0xc9, 0xc9, 0x07, 0x00], connection: &second)
        }
        #expect(continuation?.closeCode == .protocolError)
        var third = client()
        let control = #expect(throws: FramingError.self) { _ = try receive([0xc9, 0x00], connection: &third) }
        #expect(control?.closeCode == .protocolError)
    }

    @Test("below the threshold, or with compression turned off, a message goes out plain")
    func threshold() throws {
        let deflate = PerMessageDeflate()
        #expect(try Array("small".utf8).withUnsafeBytes { try deflate.encode($0, kind: .text) } == nil)
        deflate.compressesOutbound = false
        let big = [UInt8](repeating: 65, count: 1000)
        #expect(try big.withUnsafeBytes { try deflate.encode($0, kind: .text) } == nil)
    }

    @Test("a message sent in fragments is compressed as one stream: RSV1 on its first frame only")
    func fragmentsCompressed() throws {
        var server = WebSocketConnection(role: .server, transform: PerMessageDeflate())
        var client = self.client()
        let parts = ["{\"type\":\"move\",", String(repeating: "\"x\":12,\"y\":34,", count: 40), "\"end\":true}"]
        var received: [WebSocketConnection.Event] = []
        for (index, part) in parts.enumerated() {
            var wire: [UInt8] = []
            try server.sendFragment(.text, Array(part.utf8), isFinal: index == parts.count - 1, into: &wire)
            #expect(wire[0] & 0x40 == (index == 0 ? 0x40 : 0), "RSV1 on fragment \(index)")
            #expect(wire[0] & 0x0F == (index == 0 ? 0x1 : 0x0), "opcode of fragment \(index)")
            received += try receive(wire, connection: &client)
        }
        #expect(received == [.text(parts.joined())])
        // The next message still shares the window.
        var wire: [UInt8] = []
        try server.sendText(parts.joined(), into: &wire)
        #expect(wire.count < 30)
        #expect(try receive(wire, connection: &client) == [.text(parts.joined())])
    }

    @Test("empty messages and empty last fragments go as RFC 7692 §7.2.3.6's single 00, and the next message still inflates")
    func emptyMessages() throws {
        var server = WebSocketConnection(role: .server, transform: PerMessageDeflate(compression: .init(threshold: 0)))
        var client = self.client()
        let text = String(repeating: "shared window ", count: 10)
        var wire: [UInt8] = []
        try server.sendText(text, into: &wire)
        try server.sendText("", into: &wire)
        try server.sendFragment(.text, Array(text.utf8), isFinal: false, into: &wire)
        try server.sendFragment(.text, [], isFinal: true, into: &wire)
        try server.sendText(text, into: &wire)
        #expect(try receive(wire, connection: &client) == [.text(text), .text(""), .text(text), .text(text)])
        var empty: [UInt8] = []
        try server.sendBinary([], into: &empty)
        #expect(empty == [0xC2, 0x01, 0x00])
    }

    @Test("per message, compression can be left off: no RSV1, the bytes as they are")
    func perMessageOff() throws {
        var server = WebSocketConnection(role: .server, transform: PerMessageDeflate())
        var client = self.client()
        let payload = [UInt8](repeating: 7, count: 4096)
        var wire: [UInt8] = []
        try payload.withUnsafeBytes { try server.send(.binary, payload: $0, applyingTransform: false, into: &wire) }
        #expect(wire[0] == 0x82)
        #expect(wire.count == 4096 + 4)
        try server.sendFragment(.binary, payload, isFinal: false, applyingTransform: false, into: &wire)
        try server.sendFragment(.binary, payload, isFinal: true, into: &wire)
        #expect(wire.count == 3 * (4096 + 4))
        #expect(try receive(wire, connection: &client) == [.binary(payload), .binary(payload + payload)])
        // The raw form writes straight into memory when the transform will not act.
        var memory = [UInt8](repeating: 0, count: 64)
        let small = try Array("tiny".utf8).withUnsafeBytes { payload in
            try memory.withUnsafeMutableBytes { try server.send(.text, payload: payload, into: $0) }
        }
        #expect(small == 6)
        let large = try payload.withUnsafeBytes { payload in
            try memory.withUnsafeMutableBytes { try server.send(.binary, payload: payload, into: $0) }
        }
        #expect(large == nil)
    }

    @Test("memory per connection: none until used, zlib's documented sizes per setting, none after release", arguments: [
        (15, 8), (12, 5), (10, 4), (9, 1),
    ])
    func memory(windowBits: Int, memoryLevel: Int) throws {
        let parameters = PerMessageDeflate.Parameters(outboundMaxWindowBits: windowBits, inboundMaxWindowBits: windowBits)
        let deflate = PerMessageDeflate(parameters: parameters, compression: .init(memoryLevel: memoryLevel, threshold: 0))
        #expect(deflate.memoryInUse == 0)
        var server = WebSocketConnection(role: .server, transform: deflate)
        var client = WebSocketConnection(role: .client, transform: PerMessageDeflate(parameters: parameters))
        var wire: [UInt8] = []
        try client.sendText(String(repeating: "hello ", count: 100), into: &wire)
        var replies: [UInt8] = []
        _ = try server.receive(wire, replies: &replies)
        try server.sendText(String(repeating: "hello ", count: 100), into: &wire)
        // zlib's zconf.h: deflate takes 2^(windowBits+2) + 2^(memLevel+9), inflate 2^windowBits,
        // each plus its state (under 8 KiB).
        let compressor = (1 << (windowBits + 2)) + (1 << (memoryLevel + 9))
        let decompressor = 1 << windowBits
        #expect(deflate.memoryInUse >= compressor + decompressor)
        #expect(deflate.memoryInUse <= compressor + decompressor + 16 << 10)
        deflate.release()
        #expect(deflate.memoryInUse == 0)
    }
}

@Suite("WSFraming's README, the WSDeflate example")
struct DeflateReadmeExampleTests {
    @Test("the example sends 1,200 bytes of text in a 27-byte frame, with RSV1")
    func example() throws {
        let deflate = PerMessageDeflate(parameters: .init(outboundMaxWindowBits: 12, inboundMaxWindowBits: 12),
                                        compression: .init(level: 6, memoryLevel: 5, threshold: 64))
        var connection = WebSocketConnection(role: .server, transform: deflate)
        var wire: [UInt8] = []
        try connection.sendText(String(repeating: "compress me ", count: 100), into: &wire)
        #expect(wire[0] == 0xC1)
        #expect(wire.count == 27)
    }
}

@Suite("permessage-deflate's parameters per role")
struct DeflateParametersTests {
    @Test("a server sends with the server's window and takeover and receives with the client's; a client the reverse")
    func perRole() {
        let server = PerMessageDeflate.Parameters(role: .server, serverNoContextTakeover: true, clientNoContextTakeover: false,
                                                  serverMaxWindowBits: 10, clientMaxWindowBits: 12)
        #expect(server == .init(outboundNoContextTakeover: true, inboundNoContextTakeover: false,
                                outboundMaxWindowBits: 10, inboundMaxWindowBits: 12))
        let client = PerMessageDeflate.Parameters(role: .client, serverNoContextTakeover: true, clientNoContextTakeover: false,
                                                  serverMaxWindowBits: 10, clientMaxWindowBits: 12)
        #expect(client == .init(outboundNoContextTakeover: false, inboundNoContextTakeover: true,
                                outboundMaxWindowBits: 12, inboundMaxWindowBits: 10))
    }
}
