// Gatekeeping with signed, time-limited tokens (WebSockets.jl's advice for browsers, which cannot
// send headers with a WebSocket): the page the server serves carries a token in its WebSocket
// URL; an upgrade without a valid, unexpired token of this server gets 403 before the 101.
//
//     swift run --package-path Examples TokenGate [port]      (default 8080; 0 for a free one)
import Foundation
import WSServer

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8080
// A real server keeps its secret (32 random bytes) across restarts, out of the source.
let gate = GateToken(secret: (0..<32).map { _ in UInt8.random(in: 0...255) })

let server = WebSocketServer(
    port: port,
    handlers: WebSocketServerHandlers(
        http: { request, _ in
            // Each page gets a token valid for 60 s: time enough to open its WebSocket.
            let token = gate.make(subject: "page", validFor: .seconds(60))
            let page = """
                <!doctype html><meta charset="utf-8"><title>token gate</title>
                <script>
                const ws = new WebSocket(`ws://${location.host}/echo?token=\(token)`);
                ws.onopen = () => ws.send("let in with a token");
                ws.onmessage = (event) => document.body.append(`echo: ${event.data}`);
                </script>
                """
            return (HTTPResponse(status: .ok, headerFields: [.contentType: "text/html; charset=utf-8"]), Array(page.utf8))
        },
        shouldUpgrade: { upgrade in
            guard gate.subject(ofTokenIn: upgrade.target) != nil else {
                return .refuse(HTTPResponse(status: .forbidden), body: Array("a valid token is needed\n".utf8))
            }
            return .accept()
        },
        upgraded: { webSocket in
            for await message in webSocket.messages {
                guard await webSocket.sendGuarded(message) else { break }
            }
        }))
try await server.start()
// Written at once: standard output may be a pipe.
FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(server.localAddress?.port ?? port)/ (WebSockets need the page's token)\n".utf8))
try await server.run()
