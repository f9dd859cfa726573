import WebSockets

// Sends a message and waits for the answer; the connection is closed (1000) when the
// closure returns. Throws WebSocketClientError with the reason (refused, a bad certificate, …).
let reply = try await WebSocket.connect(to: "ws://127.0.0.1:8080/echo") { webSocket in
    try await webSocket.send(text: "hello")
    return try await webSocket.receive()
}
if case .text(let text) = reply {
    print("the server answered: \(text)")
}
