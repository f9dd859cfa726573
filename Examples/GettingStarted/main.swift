import WebSockets

let server = WebSocketServer(host: "127.0.0.1", port: 0,
    configuration: .init(maxConnections: 1_000, allowedOrigins: ["https://example.com"]),
    handlers: WebSocketServerHandlers(upgraded: { webSocket in
        for await message in webSocket.messages { try? await webSocket.send(message) }
    }))
try await server.start()                              // listening; listeningPort is the port picked
let webSocket = try await WebSocket.connect(to: "ws://127.0.0.1:\(server.listeningPort!)/")
try await webSocket.send(text: "hi")
print(try await webSocket.receive() ?? .text("closed"))
await webSocket.close()
await server.shutdown()                               // every client gets 1001
