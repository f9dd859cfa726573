// Vapor 4 with its own WebSocket (websocket-kit, app.webSocket): GET / and an echo at /echo.
import FrameworkEchoSupport
import Vapor

let options = Options(program: "websocket-kit-echo")
var environment = Environment(name: "production", arguments: ["websocket-kit-echo"])  // the options are ours, not Vapor's
try LoggingSystem.bootstrap(from: &environment)
let app = try await Application.make(environment)
app.http.server.configuration.hostname = options.host
app.http.server.configuration.port = options.port
app.get { _ in "websocket-kit-echo: WebSockets at /echo, served by websocket-kit\n" }
app.webSocket("echo", maxFrameSize: WebSocketMaxFrameSize(integerLiteral: 64 << 20)) { _, ws in
    ws.onText { ws, text in ws.send(text) }
    ws.onBinary { ws, buffer in ws.send(raw: buffer.readableBytesView, opcode: .binary) }
}
try await app.execute()
try await app.asyncShutdown()
