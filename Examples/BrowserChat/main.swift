// A chat in the browser: open http://127.0.0.1:8080/ in several windows; every message typed
// goes to every open page, with the sender's name. The server keeps the open connections in a
// WebSocketGroup and broadcasts each message to them.
//
//     swift run --package-path Examples BrowserChat [port]      (default 8080; 0 for a free one)
import Foundation
import WSServer

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8080

/// The open chat connections. A chat log must be whole: a member too slow to take the
/// messages (over 1 MiB waiting for it) is closed rather than skipped.
let room = WebSocketGroup(slowMember: .close)
let page = #"""
    <!doctype html><meta charset="utf-8"><title>chat</title>
    <style>body{font:15px system-ui;margin:2em} #log{height:60vh;overflow:auto;border:1px solid #ccc;padding:8px}</style>
    <div id="log"></div>
    <form id="form"><input id="name" placeholder="name" size="10"> <input id="text" placeholder="message" size="50" autofocus> <button>send</button></form>
    <script>
    const ws = new WebSocket(`ws://${location.host}/chat`);
    const log = document.getElementById("log");
    ws.onmessage = (event) => { const line = document.createElement("div"); line.textContent = event.data; log.append(line); log.scrollTop = log.scrollHeight; };
    document.getElementById("form").onsubmit = (event) => {
      event.preventDefault();
      const text = document.getElementById("text");
      ws.send(`${document.getElementById("name").value || "someone"}: ${text.value}`);
      text.value = "";
    };
    </script>
    """#

let server = WebSocketServer(
    port: port,
    configuration: .init(webSocket: .init(maxFrameSize: 4096, maxMessageSize: 4096),
                         messageRateLimit: RateLimit(perSecond: 5, burst: 20)),
    handlers: WebSocketServerHandlers(
        http: { _, _ in (HTTPResponse(status: .ok, headerFields: [.contentType: "text/html; charset=utf-8"]), Array(page.utf8)) },
        upgraded: { webSocket in
            room.add(webSocket)                          // it leaves when it closes
            for await message in webSocket.messages {
                if case .text = message { room.broadcast(message) }   // never waits for a member
            }
        }))
try await server.start()
// Written at once: standard output may be a pipe.
FileHandle.standardOutput.write(Data(("listening on http://127.0.0.1:\(server.localAddress?.port ?? port)/ (open it in several windows)" + "\n").utf8))
try await server.run()
