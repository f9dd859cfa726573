import Testing
import WebSockets

/// The umbrella product as a user takes it: one `import WebSockets` reaches every layer.
@Suite("the WebSockets product: one import for every layer")
struct UmbrellaTests {
    @Test("a type of each layer is in reach: WSFraming, WSDeflate, WSLogging, WSHandshake, WSHTTP, WSTLS, WSServer, WSConnect")
    func everyLayer() throws {
        _ = FrameHeader(opcode: .text, payloadLength: 0)                          // WSFraming
        _ = PerMessageDeflate(parameters: .init())                                 // WSDeflate
        _ = WebSocketLogger(label: "umbrella")                                     // WSLogging
        _ = WebSocketClientHandshake(target: "/", host: "example.com", port: 80)   // WSHandshake
        _ = WebSocket.Configuration.default                                        // WSHTTP
        _ = TLSClientConfiguration()                                               // WSTLS
        _ = WebSocketServer.Configuration.default                                  // WSServer
        #expect(try WebSocketURL("wss://example.com/chat").secure)                 // WSConnect
    }

    @Test("a server and a client through the umbrella alone")
    func serverAndClient() async throws {
        let server = WebSocketServer(host: "127.0.0.1", port: 0, handlers: WebSocketServerHandlers(upgraded: { webSocket in
            for await message in webSocket.messages { try? await webSocket.send(message) }
        }))
        try await server.start()
        let port = try #require(server.listeningPort)
        let reply = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/") { webSocket in
            try await webSocket.send(text: "through WebSockets")
            return try await webSocket.receive()
        }
        #expect(reply == .text("through WebSockets"))
        await server.shutdown()
    }
}
