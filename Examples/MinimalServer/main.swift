// HTTP and a WebSocket echo on one port, with an origin check: only pages served from this
// server (or clients that send no Origin, such as command-line tools) may open a WebSocket.
//
//     swift run --package-path Examples MinimalServer [port]      (default 8080; 0 for a free one)
import Foundation
import WSServer

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8080
let page = """
    <!doctype html><meta charset="utf-8"><title>minimal</title>
    <script>
    const ws = new WebSocket(`ws://${location.host}/echo`);
    ws.onopen = () => ws.send("hello from the page");
    ws.onmessage = (event) => document.body.append(`echo: ${event.data}`);
    </script>
    """

// A fixed deployment lists its origins instead: `configuration: .init(allowedOrigins: ["https://example.com"])`.
let server = WebSocketServer(
    host: "127.0.0.1", port: port,
    handlers: WebSocketServerHandlers(
        http: { _, _ in (HTTPResponse(status: .ok, headerFields: [.contentType: "text/html; charset=utf-8"]), Array(page.utf8)) },
        shouldUpgrade: { upgrade in
            // Same origin: a page this server served sends `Origin: http://<the Host it asked for>`.
            guard let origin = upgrade.origin else { return .accept() } // not a browser
            return origin == "http://\(upgrade.request.authority ?? "")"
                ? .accept()
                : .refuse(HTTPResponse(status: .forbidden), body: Array("origin \(origin) is not allowed\n".utf8))
        },
        upgraded: { webSocket in
            for await message in webSocket.messages {
                guard await webSocket.sendGuarded(message) else { break }
            }
        }))
try await server.start()
// Written at once: standard output may be a pipe.
FileHandle.standardOutput.write(Data(("listening on http://127.0.0.1:\(server.localAddress?.port ?? port)/ (WebSocket echo on any path; other origins get 403)" + "\n").utf8))
try await server.run()
