import NIOCore
import NIOPosix
import Testing
import WSHTTP

/// Keeps the SwiftNIO examples of Packages/WSHTTP/README.md compiling and working.
@Suite("README examples, on SwiftNIO", .timeLimit(.minutes(1)))
struct ReadmeExampleTests {
    @Test("the server and the client of the README talk")
    func serverAndClient() async throws {
        let logger = testLogger

        // --- README: server ---
        let handlers = WebSocketServerHandlers(
            http: { request, body in (HTTPResponse(status: .ok), Array("hello\n".utf8)) },
            shouldUpgrade: { upgrade in                                   // before the 101: authenticate here
                upgrade.request.headerFields[.authorization] == "Bearer s3cret"
                    ? .accept(subprotocol: upgrade.subprotocol(choosingFrom: ["chat.v2", "chat.v1"]))
                    : .refuse(HTTPResponse(status: .unauthorized, headerFields: [.wwwAuthenticate: "Bearer"]))
            },
            upgraded: { webSocket in                                      // runs on the connection's event loop
                for await message in webSocket.messages {
                    try? await webSocket.send(message)
                }
            })                                                            // returning closes with 1000
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.configureWebSocketServerPipeline(logger: logger, handlers: handlers)
            }
            .bind(host: "127.0.0.1", port: 0).get()
        // --- end ---
        let port = try #require(server.localAddress?.port)

        // --- README: client ---
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        let handshake = WebSocketClientHandshake(target: "/chat", host: "127.0.0.1", port: port,
                                                 headerFields: [.authorization: "Bearer s3cret"])
        let webSocket = try await channel.configureWebSocketClientPipeline(handshake: handshake, logger: logger).get()
        try await webSocket.send(text: "Hello")
        let reply = try await webSocket.receive()                             // .text("Hello"), or nil once closed
        let outcome = await webSocket.close(code: .normalClosure, reason: "done")   // code, reason, clean
        // --- end ---

        #expect(reply == .text("Hello"))
        #expect(outcome == CloseOutcome(code: .normalClosure, wasClean: true))
        try await server.close()
    }

    @Test("the fast path's echo of the README echoes")
    func fastPath() async throws {
        // --- README: fast path ---
        final class Echo: WebSocketEventLoopHandler {
            func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
                webSocket.send(message)                    // or message.text, message.bytes, message.withUnsafeBytes { … }
            }
        }
        let handlers = WebSocketServerHandlers(consumer: .eventLoop { _ in Echo() }, upgraded: { _ in })
        // --- end ---
        let server = try await TestServer.start(handlers: handlers)
        let client = try await connect(port: server.port)
        try await client.send(binary: [1, 2, 3])
        #expect(try await client.receive() == .binary([1, 2, 3]))
        await client.close()
        await server.stop()
    }
}
