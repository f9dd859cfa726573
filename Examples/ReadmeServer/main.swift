import WebSockets

// HTTP and WebSockets on one port: plain requests get a line of text, /echo is a WebSocket
// echo. Ctrl-C or SIGTERM shuts down gracefully: WebSocket clients get 1001.
try await WebSocketServer.serve(host: "127.0.0.1", port: 8080, handlers: WebSocketServerHandlers(
    http: { request, _ in
        (HTTPResponse(status: .ok), Array("hello from \(request.path ?? "/")\n".utf8))
    },
    shouldUpgradeOnLoop: { upgrade in   // decided on the event loop; shouldUpgrade: may await
        upgrade.target == "/echo" ? .accept() : .refuse(HTTPResponse(status: .notFound))
    },
    upgraded: { webSocket in
        for await message in webSocket.messages {
            try? await webSocket.send(message)
        }
    }))
