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
        #expect(await webSocket.receive() == .text("hi"))

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
