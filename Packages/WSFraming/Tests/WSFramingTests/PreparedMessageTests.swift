import Testing
import WSFraming

/// A message framed once sends what the same message sent on its own sends, on every connection.
@Suite("Prepared messages (framed once for many receivers)")
struct PreparedMessageTests {
    static let sizes = [0, 1, 125, 126, 300, 65_535, 65_536, 70_000]

    /// The bytes `connection` writes for `payload` sent plainly, and as prepared (both forms).
    func sent(
        _ payload: [UInt8], role: WebSocketRole, configuration: WebSocketConnection.Configuration = .default,
        transform: (() -> any MessageTransform)? = nil, applyingTransform: Bool = true
    ) throws -> (plain: [UInt8], prepared: [UInt8], raw: [UInt8]?) {
        let key = MaskingKey(9, 8, 7, 6)
        func connection() -> WebSocketConnection {
            WebSocketConnection(role: role, configuration: configuration, transform: transform?(), maskingKeys: FixedMaskingKeys(key))
        }
        var plain: [UInt8] = [], prepared: [UInt8] = []
        var first = connection(), second = connection(), third = connection()
        try payload.withUnsafeBytes { try first.send(.binary, payload: $0, applyingTransform: applyingTransform, into: &plain) }
        let message = PreparedMessage(.binary, payload: payload)
        try second.send(message, applyingTransform: applyingTransform, into: &prepared)
        var memory = [UInt8](repeating: 0, count: payload.count + 64)
        let written = try memory.withUnsafeMutableBytes { try third.send(message, applyingTransform: applyingTransform, into: $0) }
        return (plain, prepared, written.map { Array(memory.prefix($0)) })
    }

    @Test("a server copies the frame: the bytes of the message sent on its own, for every size")
    func server() throws {
        for size in Self.sizes {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let (plain, prepared, raw) = try sent(payload, role: .server)
            #expect(prepared == plain, "size \(size)")
            #expect(raw == plain, "size \(size)")
            let message = PreparedMessage(.binary, payload: payload)
            #expect(message.frameCount == plain.count && message.payloadCount == size)
            #expect(message.withUnsafePayload { Array($0) } == payload)
        }
    }

    @Test("a client masks it with a key of its own, as any message it sends")
    func client() throws {
        for size in Self.sizes {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 5) }
            let (plain, prepared, raw) = try sent(payload, role: .client)
            #expect(frames(in: plain).allSatisfy { $0.header.maskingKey != nil })
            #expect(prepared == plain, "size \(size)")
            #expect(raw == plain, "size \(size)")
        }
    }

    @Test("a transform encodes it as any message (the raw form declines), unless it is not applied")
    func transformed() throws {
        let payload = Array("compress me, compress me".utf8)
        let (plain, prepared, raw) = try sent(payload, role: .server, transform: { InvertingTransform() })
        #expect(frames(in: plain).first?.header.reservedBits == .rsv1)
        #expect(prepared == plain)
        #expect(raw == nil, "the raw form leaves encoding to the sink form")
        let uncompressed = try sent(payload, role: .server, transform: { InvertingTransform() }, applyingTransform: false)
        #expect(uncompressed.prepared == PreparedMessage(.binary, payload: payload).withUnsafeFrame { Array($0) })
        #expect(uncompressed.raw == uncompressed.prepared)
    }

    @Test("a configuration that fragments it fragments it")
    func fragmented() throws {
        let payload = [UInt8](repeating: 42, count: 250)
        let (plain, prepared, raw) = try sent(payload, role: .server, configuration: .init(fragmentation: .framesOfAtMost(100)))
        #expect(frames(in: plain).count == 3)
        #expect(prepared == plain)
        #expect(raw == plain)
    }

    @Test("text frames as text, and a receiver reads the message")
    func text() throws {
        var server = WebSocketConnection(role: .server)
        var wire: [UInt8] = []
        try server.send(PreparedMessage(text: "héllo, all"), into: &wire)
        #expect(feed(wire, role: .client).events == [.text("héllo, all")])
    }

    @Test("refused as any message: while a fragmented message is unfinished, and after the Close")
    func refused() throws {
        var server = WebSocketConnection(role: .server)
        var wire: [UInt8] = []
        try server.sendFragment(.text, Array("part".utf8), isFinal: false, into: &wire)
        let before = wire
        #expect(throws: FramingError.self) { try server.send(PreparedMessage(text: "between"), into: &wire) }
        var memory = [UInt8](repeating: 0, count: 64)
        #expect(throws: FramingError.self) {
            _ = try memory.withUnsafeMutableBytes { try server.send(PreparedMessage(text: "between"), into: $0) }
        }
        #expect(wire == before, "nothing written")
        var closed = WebSocketConnection(role: .server)
        try closed.sendClose(into: &wire)
        #expect(throws: FramingError.self) { try closed.send(PreparedMessage(text: "late"), into: &wire) }
    }
}
