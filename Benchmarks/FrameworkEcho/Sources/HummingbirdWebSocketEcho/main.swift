// Hummingbird 2 with its own WebSocket (hummingbird-websocket): GET / and an echo at /echo.
import FrameworkEchoSupport
import Hummingbird
import HummingbirdWebSocket

let options = Options(program: "hummingbird-websocket-echo")
let router = Router(context: BasicWebSocketRequestContext.self)
router.get("/") { _, _ in "hummingbird-websocket-echo: WebSockets at /echo, served by hummingbird-websocket\n" }
router.ws("echo") { inbound, outbound, _ in
    for try await message in inbound.messages(maxSize: 64 << 20) {
        switch message {
        case .text(let text): try await outbound.write(.text(text))
        case .binary(let bytes): try await outbound.write(.binary(bytes))
        }
    }
}
let app = Application(
    router: router,
    server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: .init(maxFrameSize: 64 << 20))),
    configuration: .init(address: .hostname(options.host, port: options.port)))
try await app.runService()
