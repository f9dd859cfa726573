// Both libraries in one program: this library's server, and a client of each library that
// sends it a message and waits for the echo. Exits 0 when both echoes came back.
import Foundation
import HummingbirdWSClient
import Logging
import Synchronization
import WebSockets

let logger = Logger(label: "coexistence")
let server = WebSocketServer(host: "127.0.0.1", port: 0, handlers: WebSocketServerHandlers(upgraded: { webSocket in
    for await message in webSocket.messages { try? await webSocket.send(message) }
}))
try await server.start()
guard let port = server.listeningPort else { fatalError("the server has no port") }
let url = "ws://127.0.0.1:\(port)/echo"

// This library's client (module WSConnect).
let ours = try await WebSocket.connect(to: url) { webSocket in
    try await webSocket.send(text: "from WSConnect")
    return try await webSocket.receive()
}
guard ours == .text("from WSConnect") else { fatalError("our client got \(String(describing: ours))") }

// swift-websocket's client (module WSClient, through HummingbirdWSClient).
let theirs = Mutex<String?>(nil)
try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
    try await outbound.write(.text("from swift-websocket's WSClient"))
    for try await message in inbound.messages(maxSize: 1 << 16) {
        if case .text(let text) = message { theirs.withLock { $0 = text } }
        break
    }
}
guard theirs.withLock({ $0 }) == "from swift-websocket's WSClient" else { fatalError("their client got no echo") }

await server.shutdown()
print("coexistence: this package and hummingbird-websocket in one graph; both clients echoed through this library's server")
