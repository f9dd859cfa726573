import Foundation
import HTTPTypes
import NIOCore
import Testing
import WSDeflate
import WSFraming
import WSHandshake
@testable import WSHTTP

@Suite("permessage-deflate in the pipelines (RFC 7692)", .timeLimit(.minutes(1)))
struct DeflateTests {
    @Test("our server and client agree with the defaults, and messages of every size round-trip compressed")
    func roundTrips() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let client = try await connect(port: server.port)
        #expect(client.handshake.extensions == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12")
        #expect(client.handshake.deflate == DeflateSettings(serverMaxWindowBits: 12, clientMaxWindowBits: 12))
        let alphabet = Array("{\"id\":12,\"name\":\"ünïcode ✓\"} ".utf8)
        for size in [0, 1, 63, 64, 1000, 100_000, 1 << 20] {
            let bytes = (0..<size).map { alphabet[($0 * 7 + $0 / 13) % alphabet.count] }
            try await client.send(binary: bytes)
            #expect(try await client.receive() == .binary(bytes), "binary of \(size) bytes")
        }
        let text = String(repeating: "héllo, wörld ✓ ", count: 500)
        try await client.send(text: text)
        #expect(try await client.receive() == .text(text))
        // A message in fragments is one compressed stream; the echo comes back whole.
        try await client.sendFragment(.text, Array("Hello, ".utf8) + [0xE2], isFinal: false)
        try await client.sendFragment(.text, [0x9C, 0x93] + Array(String(repeating: " again", count: 100).utf8), isFinal: true)
        #expect(try await client.receive() == .text("Hello, ✓" + String(repeating: " again", count: 100)))
        #expect(await client.close() == CloseOutcome(code: .normalClosure, reason: "", wasClean: true))
        await server.stop()
    }

    @Test("each preset, on both sides, agrees on what it says and round-trips", arguments: [
        (WebSocket.Deflate.default, DeflateSettings(serverMaxWindowBits: 12, clientMaxWindowBits: 12)),
        (WebSocket.Deflate.bestCompression, DeflateSettings()),
        (WebSocket.Deflate.noContextTakeover,
         DeflateSettings(serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 12)),
    ])
    func presets(deflate: WebSocket.Deflate, agreed: DeflateSettings) async throws {
        var configuration = WebSocket.Configuration.default
        configuration.deflate = deflate
        let server = try await TestServer.start(configuration: configuration, handlers: echoHandlers)
        let client = try await connect(port: server.port, configuration: configuration)
        #expect(client.handshake.deflate == agreed)
        for round in 0..<3 {
            let text = String(repeating: "round \(round), the same words again; ", count: 50)
            try await client.send(text: text)
            #expect(try await client.receive() == .text(text))
        }
        await client.close()
        await server.stop()
    }

    @Test("on the wire: RSV1 and fewer bytes when compressed; compress: false and small messages go plain")
    func onTheWire() async throws {
        let large = String(repeating: "a compressible sentence; ", count: 40)
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(upgraded: { webSocket in
            try? await webSocket.send(text: large)
            try? await webSocket.send(text: large, compress: false)
            try? await webSocket.send(text: "hi")
        }))
        let bytes = try await rawExchange(
            port: server.port, upgradeRequest(port: server.port, extra: "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
            until: { unmaskedFrames($0.afterHead).count >= 3 })
        // The bare offer lets the server choose its window: it says which.
        #expect(bytes.text.contains("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12\r\n"))
        let frames = bytes.afterHead
        try #require(frames.count > 4)
        #expect(frames[0] == 0xC1)  // FIN, RSV1, text
        let compressedLength = Int(frames[1])
        #expect(compressedLength < 100)
        let plain = Array(frames[(2 + compressedLength)...])
        #expect(plain[0] == 0x81)  // FIN, text, no RSV1
        #expect(Array(plain[1...3]) == [126, 0x03, 0xE8])  // 1000 bytes as they are
        // Every frame decodes, compressed or not, with the matching transform.
        var reader = WebSocketConnection(role: .client, transform: PerMessageDeflate())
        var replies: [UInt8] = []
        let events = try reader.receive(frames, replies: &replies)
        #expect(Array(events.prefix(3)) == [.text(large), .text(large), .text("hi")])
        await server.stop()
    }

    @Test("the server's policy is what it answers; an offer it cannot serve or none at all leaves compression off", arguments: [
        ("permessage-deflate; client_max_window_bits, x-webkit-deflate-frame",
         "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9"),
        ("permessage-deflate; server_max_window_bits=16, permessage-deflate",
         "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10"),
        ("permessage-deflate; server_max_window_bits=8", nil),
        ("permessage-deflate; mystery=1", nil),
        ("x-webkit-deflate-frame", nil),
    ] as [(String, String?)])
    func serverPolicy(offer: String, answer: String?) async throws {
        var configuration = WebSocket.Configuration.default
        configuration.deflate = .init(serverPolicy: .init(serverNoContextTakeover: true, clientNoContextTakeover: true,
                                                          serverMaxWindowBits: 10, clientMaxWindowBits: 9))
        let server = try await TestServer.start(configuration: configuration, handlers: echoHandlers)
        let bytes = try await rawExchange(port: server.port, upgradeRequest(port: server.port, extra: "Sec-WebSocket-Extensions: \(offer)\r\n"),
                                          until: { $0.text.contains("\r\n\r\n") })
        #expect(bytes.text.hasPrefix("HTTP/1.1 101"))
        #expect(headerValue("Sec-WebSocket-Extensions", in: bytes) == answer)
        await server.stop()
    }

    @Test("with deflate nil, a server accepts no offer and a client makes none")
    func off() async throws {
        var configuration = WebSocket.Configuration.default
        configuration.deflate = nil
        let server = try await TestServer.start(configuration: configuration, handlers: echoHandlers)
        let bytes = try await rawExchange(port: server.port, upgradeRequest(port: server.port, extra: "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
                                          until: { $0.text.contains("\r\n\r\n") })
        #expect(bytes.text.hasPrefix("HTTP/1.1 101"))
        #expect(headerValue("Sec-WebSocket-Extensions", in: bytes) == nil)
        await server.stop()

        let raw = try await RawServer.start(.silent)
        let client = try await connect(port: raw.port, configuration: configuration)
        #expect(!raw.request.lowercased().contains("sec-websocket-extensions"))
        #expect(client.handshake.deflate == nil)
        await raw.stop()
    }

    @Test("a client refuses an answer that breaks RFC 7692 or asks what zlib cannot do", arguments: [
        "permessage-deflate; client_max_window_bits=8",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; mystery",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate, permessage-deflate",
    ])
    func clientRefuses(answer: String) async throws {
        let raw = try await RawServer.start(.answersExtensions(answer))
        let error = await #expect(throws: WebSocketError.self) { _ = try await connect(port: raw.port) }
        #expect(error?.code == .handshakeFailed)
        // The offer browsers make.
        #expect(raw.request.components(separatedBy: "\r\n").contains("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"))
        await raw.stop()
    }

    @Test("a client accepts the answers RFC 7692 allows and compresses as agreed", arguments: [
        ("permessage-deflate", DeflateSettings()),
        ("permessage-deflate; server_max_window_bits=9; client_max_window_bits=10; client_no_context_takeover",
         DeflateSettings(clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 10)),
    ] as [(String, DeflateSettings)])
    func clientAccepts(answer: String, settings: DeflateSettings) async throws {
        let raw = try await RawServer.start(.answersExtensions(answer))
        let client = try await connect(port: raw.port)
        #expect(client.handshake.deflate == settings)
        let text = String(repeating: "compress me ", count: 100)
        try await client.send(text: text)
        try await client.send(text: text)
        await client.close(timeout: .milliseconds(100))
        _ = try await raw.framesUntilClose()
        // What the raw server received decodes with the agreed parameters.
        var reader = WebSocketConnection(role: .server, transform: PerMessageDeflate(parameters: .init(
            inboundNoContextTakeover: settings.clientNoContextTakeover, inboundMaxWindowBits: settings.clientMaxWindowBits)))
        var replies: [UInt8] = []
        let events = try reader.receive(raw.received, replies: &replies)
        #expect(Array(events.prefix(2)) == [.text(text), .text(text)])
        #expect(raw.received.count < 200)
        await raw.stop()
    }

    @Test("offers written in the request's fields are kept: ours goes after another extension, and a permessage-deflate offer of the caller's is the one answered")
    func writtenOffers() async throws {
        let other = try await RawServer.start(.silent)
        _ = try await connect(port: other.port, headerFields: [.secWebSocketExtensions: "x-custom; level=1"])
        #expect(other.request.components(separatedBy: "\r\n")
            .contains("Sec-WebSocket-Extensions: x-custom; level=1, permessage-deflate; client_max_window_bits"))
        await other.stop()

        let raw = try await RawServer.start(.answersExtensions("permessage-deflate; client_max_window_bits=10"))
        let client = try await connect(port: raw.port, headerFields: [.secWebSocketExtensions: "permessage-deflate; client_max_window_bits=10"])
        #expect(raw.request.components(separatedBy: "\r\n").contains("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10"))
        #expect(client.handshake.deflate == DeflateSettings(clientMaxWindowBits: 10))
        try await client.send(text: String(repeating: "mine ", count: 100))
        await client.close(timeout: .milliseconds(100))
        _ = try await raw.framesUntilClose()
        var reader = WebSocketConnection(role: .server, transform: PerMessageDeflate(parameters: .init(inboundMaxWindowBits: 10)))
        var replies: [UInt8] = []
        #expect(try reader.receive(raw.received, replies: &replies).first == .text(String(repeating: "mine ", count: 100)))
        await raw.stop()
    }

    @Test("a decompression bomb through the server: 1009 after 1 MiB of output, not 16")
    func bomb() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let deflate = PerMessageDeflate(compression: .init(threshold: 0))
        let zeros = [UInt8](repeating: 0, count: 16 << 20)
        let compressed = try #require(try zeros.withUnsafeBytes { try deflate.encode($0, kind: .binary) })
        var frame: [UInt8] = []
        FrameWriter.write(FrameHeader(isFinal: true, reservedBits: .rsv1, opcode: .binary, maskingKey: MaskingKey(1, 2, 3, 4),
                                      payloadLength: compressed.bytes.count), payload: compressed.bytes, into: &frame)
        let bytes = try await rawExchange(
            port: server.port, upgradeRequest(port: server.port, extra: "Sec-WebSocket-Extensions: permessage-deflate\r\n") + frame)
        let reply = bytes.afterHead
        #expect(Array(reply.prefix(4)) == [0x88, reply.count > 1 ? reply[1] : 0, 0x03, 0xF1])  // Close 1009
        await server.stop()
    }

    @Test("zlib's memory: none before a compressed message, bounded by the table after, freed when the connection ends")
    func memory() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let client = try await connect(port: server.port)
        let handler = client.handler
        let inUse = { try await client.channel.eventLoop.submit { handler.value.deflate?.memoryInUse }.get() }
        #expect(try await inUse() == 0)
        try await client.send(text: String(repeating: "x", count: 1000))
        _ = try await client.receive()
        let used = try #require(try await inUse())
        // 12-bit windows, memory level 5: deflate 2^14 + 2^14, inflate 2^12, plus zlib's state.
        #expect(used > (1 << 14) * 2 + (1 << 12))
        #expect(used < 56 << 10)
        await client.close()
        #expect(try await inUse() == 0)
        await server.stop()
    }
}

/// A response header's value in raw response bytes, nil when absent.
private func headerValue(_ name: String, in bytes: [UInt8]) -> String? {
    let head = bytes.text.components(separatedBy: "\r\n\r\n").first ?? ""
    return head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
        .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
}
