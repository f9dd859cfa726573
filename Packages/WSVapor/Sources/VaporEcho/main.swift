// vapor-echo: a Vapor 4 application whose WebSocket route is served by this library
// (WSVapor): a plain-text page at GET /, and an echo at /echo (text as text, binary as binary,
// permessage-deflate accepted, messages up to 64 MiB), for peers, the conformance suite and
// the benchmarks to be pointed at. /echo runs on the event loop (WebSocketEventLoopHandler);
// /echo-async is the same echo in a task per connection (`for await message in ws.messages`).
//
//     swift run --package-path Packages/WSVapor vapor-echo [--host 127.0.0.1] [--port 8080]
import Vapor
import WSHTTP
import WSVapor

func option(_ name: String, default value: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name) else { return value }
    guard index + 1 < arguments.count else {
        FileHandle.standardError.write(Data("vapor-echo: \(name) needs a value\n".utf8))
        exit(64)
    }
    return arguments[index + 1]
}

let host = option("--host", default: "127.0.0.1")
guard let port = Int(option("--port", default: "8080")), (0...65535).contains(port) else {
    FileHandle.standardError.write(Data("vapor-echo: --port takes a number from 0 to 65535\n".utf8))
    exit(64)
}

var webSocket = WSHTTP.WebSocket.Configuration.default
webSocket.maxFrameSize = 64 << 20
webSocket.maxMessageSize = 64 << 20

var environment = Environment(name: "production", arguments: ["vapor-echo"])  // Vapor's own arguments are ours
try LoggingSystem.bootstrap(from: &environment)
let app = try await Application.make(environment)
app.http.server.configuration.hostname = host
app.http.server.configuration.port = port
app.webSocketUpgrade = WebSocketUpgradeConfiguration(webSocket: webSocket)

app.get { _ in "vapor-echo: WebSockets at /echo, served by WSVapor\n" }
/// Sends every message back from the connection's event loop.
final class Echo: WebSocketEventLoopHandler {
    func webSocket(_ webSocket: WSHTTP.WebSocket.OnLoop, didReceive message: WSHTTP.WebSocket.LentMessage) {
        webSocket.send(message)
    }
}
app.ws("echo", shouldUpgrade: { _ in }, eventLoopHandler: { _, _ in Echo() })
app.ws("echo-async") { ws, _ in
    for await message in ws.messages {
        try await ws.send(message)
    }
}

do {
    try await app.startup()
    let bound = app.http.server.shared.localAddress?.port ?? port
    FileHandle.standardOutput.write(Data("listening on http://\(host):\(bound)/ (WebSockets at ws://\(host):\(bound)/echo)\n".utf8))
    try await app.running?.onStop.get()
} catch {
    app.logger.report(error: error)
}
try await app.asyncShutdown()
