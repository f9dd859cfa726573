// A server and a client in one process count to ten together: the client says 1, the server
// answers 2, the client 3, … Every step is logged with wslog, and the library's own logging
// shows at debug (WebSocketLogger, WebSockets.jl's console logger).
//
//     swift run --package-path Examples CountingTogether
import Logging
import WSConnect
import WSLogging
import WSServer

WebSocketLogger.bootstrap(WebSocketLogger.Configuration(levels: LogLevels(default: .debug)))

let server = WebSocketServer(port: 0, handlers: WebSocketServerHandlers(upgraded: { webSocket in
    for await message in webSocket.messages {
        guard case .text(let text) = message, let number = Int(text) else { continue }
        wslog("server heard \(number)")
        await webSocket.sendGuarded(.text("\(number + 1)"))
    }
}))
try await server.start()
let port = server.localAddress?.port ?? 0

let reached = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/count") { webSocket in
    try await webSocket.send(text: "1")
    while case .text(let text)? = try await webSocket.receive(), let heard = Int(text) {
        wslog("client heard \(heard)")
        if heard >= 10 { return heard }
        try await webSocket.send(text: "\(heard + 1)")
    }
    return 0
}
wslog("counted to \(reached) together")
print(reached == 10 ? "counted to ten together" : "stopped at \(reached)")
await server.shutdown()
