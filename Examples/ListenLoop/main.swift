// A listen loop of your own: your `ServerBootstrap` accepts the connections, and WSHTTP turns
// each into an HTTP/1.1 server that upgrades WebSockets. Plain requests get a page; upgrades
// on /echo are accepted and echoed; other upgrades are refused with 404 before the 101.
//
//     swift run --package-path Examples ListenLoop [port]        (default 8080; 0 picks a free port)
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import WSHTTP

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8080
let logger = Logger(label: "listen-loop")

let page = """
    <!doctype html><meta charset="utf-8"><title>echo</title>
    <script>
    const ws = new WebSocket(`ws://${location.host}/echo`);
    ws.onopen = () => ws.send("hello from the page");
    ws.onmessage = (event) => document.body.append(`echo: ${event.data}`);
    </script>
    """

let handlers = WebSocketServerHandlers(
    http: { _, _ in
        (HTTPResponse(status: .ok, headerFields: [.contentType: "text/html; charset=utf-8"]), Array(page.utf8))
    },
    shouldUpgrade: { upgrade in
        upgrade.target.hasPrefix("/echo") ? .accept() : .refuse(HTTPResponse(status: .notFound))
    },
    upgraded: { webSocket in
        for await message in webSocket.messages {
            guard await webSocket.sendGuarded(message) else { break }
        }
    })

let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        // Whatever else your connections need goes here too: a filter, metrics, TLS.
        channel.configureWebSocketServerPipeline(logger: logger, handlers: handlers)
    }
    .bind(host: "127.0.0.1", port: port).get()

FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(server.localAddress?.port ?? port)/ (WebSocket echo at /echo)\n".utf8))
try await server.closeFuture.get()
