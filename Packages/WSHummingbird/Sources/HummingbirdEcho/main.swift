// hummingbird-echo: a Hummingbird 2 application whose WebSocket route is served by this
// library (WSHummingbird): a plain-text page at GET /, and an echo at /echo (text as text,
// binary as binary, permessage-deflate accepted, messages up to 64 MiB), for peers, the
// conformance suite and the benchmarks to be pointed at. /echo runs on the event loop
// (WebSocketEventLoopHandler); /echo-async is the same echo in a task per connection.
//
//     swift run --package-path Packages/WSHummingbird hummingbird-echo [--host 127.0.0.1] [--port 8080]
import Foundation
import Hummingbird
import WSHummingbird

func option(_ name: String, default value: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name) else { return value }
    guard index + 1 < arguments.count else {
        FileHandle.standardError.write(Data("hummingbird-echo: \(name) needs a value\n".utf8))
        exit(64)
    }
    return arguments[index + 1]
}

let host = option("--host", default: "127.0.0.1")
guard let port = Int(option("--port", default: "8080")), (0...65535).contains(port) else {
    FileHandle.standardError.write(Data("hummingbird-echo: --port takes a number from 0 to 65535\n".utf8))
    exit(64)
}

var webSocket = WebSocket.Configuration.default
webSocket.maxFrameSize = 64 << 20
webSocket.maxMessageSize = 64 << 20

let router = Router()
router.get("/") { _, _ in "hummingbird-echo: WebSockets at /echo, served by WSHummingbird\n" }
/// Sends every message back from the connection's event loop.
final class Echo: WebSocketEventLoopHandler {
    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
        webSocket.send(message)
    }
}
router.ws("echo", shouldUpgrade: { _, _ in }, eventLoopHandler: { _, _ in Echo() })
router.ws("echo-async") { webSocket, _ in
    for await message in webSocket.messages {
        try await webSocket.send(message)
    }
}

let app = Application(
    router: router,
    server: .webSocketUpgrade(router: router, configuration: .init(webSocket: webSocket)),
    configuration: .init(address: .hostname(host, port: port), serverName: "hummingbird-echo"),
    onServerRunning: { channel in
        let bound = channel.localAddress?.port ?? port
        FileHandle.standardOutput.write(Data("listening on http://\(host):\(bound)/ (WebSockets at ws://\(host):\(bound)/echo)\n".utf8))
    }
)
try await app.runService()
