import HTTPTypes
import NIOCore
import NIOEmbedded
import Testing
import WSFraming
import WSHandshake
@testable import WSHTTP

/// Bytes in and bytes out of the pipelines, with no socket: what goes on the wire, exactly.
@Suite("The pipelines on a testing channel: bytes in, bytes out", .timeLimit(.minutes(1)))
struct EmbeddedChannelTests {
    @Test("server: a request and its first frame in one read; the 101, then the echo")
    func serverUpgradeWithFrame() async throws {
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5000))
        try await channel.configureWebSocketServerPipeline(logger: testLogger, handlers: echoHandlers).get()
        try await channel.writeInbound(ByteBuffer(bytes: upgradeRequest(port: 80) + maskedFrame(.text, Array("first".utf8))))

        let response = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        let head = String(buffer: response)
        #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(head.lowercased().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"))
        #expect(head.lowercased().contains("upgrade: websocket\r\n"))
        #expect(head.hasSuffix("\r\n\r\n"))
        #expect(try await outboundBytes(channel, count: 7) == [0x81, 0x05] + Array("first".utf8))

        try await channel.writeInbound(ByteBuffer(bytes: maskedFrame(.binary, [1, 2, 3])))
        #expect(try await outboundBytes(channel, count: 5) == [0x82, 0x03, 1, 2, 3])
        _ = try? await channel.finish()
    }

    @Test("server: a frame split across reads at every byte is echoed once, whole")
    func serverFrameSplit() async throws {
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5000))
        try await channel.configureWebSocketServerPipeline(logger: testLogger, handlers: echoHandlers).get()
        try await channel.writeInbound(ByteBuffer(bytes: upgradeRequest(port: 80)))
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        for byte in maskedFrame(.text, Array("split".utf8)) {
            try await channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(try await outboundBytes(channel, count: 7) == [0x81, 0x05] + Array("split".utf8))
        _ = try? await channel.finish()
    }

    @Test("server: a Ping is answered with its Pong, and a Close with a Close, then the connection closes")
    func serverControlFrames() async throws {
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5000))
        try await channel.configureWebSocketServerPipeline(logger: testLogger, handlers: echoHandlers).get()
        try await channel.writeInbound(ByteBuffer(bytes: upgradeRequest(port: 80)))
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        try await channel.writeInbound(ByteBuffer(bytes: maskedFrame(.ping, [9, 8])))
        #expect(try await outboundBytes(channel, count: 4) == [0x8A, 0x02, 9, 8])
        try await channel.writeInbound(ByteBuffer(bytes: maskedFrame(.close, [0x03, 0xE8] + Array("ok".utf8))))
        #expect(try await outboundBytes(channel, count: 4) == [0x88, 0x02, 0x03, 0xE8])
        try await channel.closeFuture.get()
    }

    @Test("server: a request that is not an upgrade gets the HTTP handler's answer")
    func serverPlainHTTP() async throws {
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5000))
        let handlers = WebSocketServerHandlers(
            http: { request, body in (HTTPResponse(status: .ok), Array("\(request.method) \(request.target) \(body.count)".utf8)) },
            upgraded: { _ in })
        try await channel.configureWebSocketServerPipeline(logger: testLogger, handlers: handlers).get()
        try await channel.writeInbound(ByteBuffer(string: "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"))
        var reply = ""
        while !reply.hasSuffix("POST /form 3") {
            reply += String(buffer: try await channel.waitForOutboundWrite(as: ByteBuffer.self))
        }
        #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(reply.lowercased().contains("content-length: 12\r\n"))
        _ = try? await channel.finish()
    }

    @Test("client: the request's bytes; a 101 and a frame in one read; the frame is the first message")
    func clientUpgradeWithFrame() async throws {
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5000))
        let handshake = WebSocketClientHandshake(target: "/chat?room=1", host: "example.com", port: 8080, subprotocols: ["v1"],
                                                 key: "dGhlIHNhbXBsZSBub25jZQ==")
        let connecting = channel.configureWebSocketClientPipeline(handshake: handshake, logger: testLogger)
        var request = ""
        while !request.hasSuffix("\r\n\r\n") {
            request += String(buffer: try await channel.waitForOutboundWrite(as: ByteBuffer.self))
        }
        #expect(request.hasPrefix("GET /chat?room=1 HTTP/1.1\r\n"))
        for line in ["host: example.com:8080", "upgrade: websocket", "connection: upgrade", "sec-websocket-key: dghlihnhbxbszsbub25jzq==",
                     "sec-websocket-version: 13", "sec-websocket-protocol: v1"] {
            #expect(request.lowercased().contains(line + "\r\n"), "missing \(line)")
        }
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: v1\r\n\r\n"
        try await channel.writeInbound(ByteBuffer(bytes: Array(response.utf8) + [0x81, 0x02] + Array("hi".utf8)))
        let webSocket = try await connecting.get()
        #expect(webSocket.handshake.subprotocol == "v1")
        #expect(try await webSocket.receive() == .text("hi"))

        try await webSocket.send(text: "yo")
        let frame = try await outboundBytes(channel, count: 8)
        #expect(Array(frame.prefix(2)) == [0x81, 0x82], "a client's frames are masked")
        let key = Array(frame[2..<6])
        #expect(zip(frame[6...], key).map { $0 ^ $1 } == Array("yo".utf8))
        _ = try? await channel.finish()
    }

    @Test("client: a 101 with the wrong accept key fails the handshake, and nothing is sent after it")
    func clientBadAccept() async throws {
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5000))
        let handshake = WebSocketClientHandshake(target: "/", host: "example.com", port: 80)
        let connecting = channel.configureWebSocketClientPipeline(handshake: handshake, logger: testLogger)
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n"
        try await channel.writeInbound(ByteBuffer(string: response))
        let error = await #expect(throws: WebSocketError.self) { try await connecting.get() }
        #expect(error?.code == .handshakeFailed)
        try await channel.closeFuture.get()
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
    }
}

/// Reads outbound writes of `channel` until `count` bytes have come.
func outboundBytes(_ channel: NIOAsyncTestingChannel, count: Int) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    while bytes.count < count {
        var buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
    }
    return bytes
}

/// Random bytes after the upgrade: the connection never crashes or hangs; when it fails, the
/// last frame it writes is a Close with a protocol code.
@Suite("Garbage after the upgrade", .timeLimit(.minutes(1)))
struct GarbageTests {
    @Test("200 random inputs (seeded), half of them starting like a masked frame, both consumers")
    func randomInput() async throws {
        final class Echo: WebSocketEventLoopHandler {
            func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) { webSocket.send(message) }
        }
        var rng = SplitMix(seed: 2026)
        var closes = 0
        for seed in 0..<200 {
            let async = seed.isMultiple(of: 2)
            let consumer: WebSocket.Consumer = async ? .async : .eventLoop({ _ in Echo() })
            let channel = NIOAsyncTestingChannel()
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5000))
            try await channel.configureWebSocketServerPipeline(
                logger: testLogger, handlers: WebSocketServerHandlers(consumer: consumer, upgraded: { webSocket in
                    // An event-loop consumer's messages go to Echo: reading them here is an error.
                    guard async else { return }
                    for await message in webSocket.messages { try? await webSocket.send(message) }
                })).get()
            try await channel.writeInbound(ByteBuffer(bytes: upgradeRequest(port: 80)))
            _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
            // Half the seeds start like a masked client frame, so that the header is accepted.
            var garbage = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if seed % 4 < 2 { garbage[0] = 0x80 | UInt8.random(in: 0...2, using: &rng); if garbage.count > 1 { garbage[1] |= 0x80 } }
            _ = try? await channel.writeInbound(ByteBuffer(bytes: garbage))
            try await Task.sleep(for: .milliseconds(2))
            var written: [UInt8] = []
            while let buffer = try await channel.readOutbound(as: ByteBuffer.self) { written += Array(buffer.readableBytesView) }
            if let close = unmaskedFrames(written).last(where: { $0.opcode == .close }), close.payload.count >= 2 {
                let code = UInt16(close.payload[0]) << 8 | UInt16(close.payload[1])
                #expect([1002, 1007, 1009].contains(code), "seed \(seed): close code \(code)")
                closes += 1
            }
            _ = try? await channel.finish()
        }
        #expect(closes >= 50, "most random inputs fail the connection: \(closes) of 200 did")
    }
}

/// A deterministic random number generator (SplitMix64), so that a failing input reproduces.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
