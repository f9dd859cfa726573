import HTTPTypes
import Logging
import Testing
import Vapor
import WSConnect
import WSHTTP
import WSVapor

/// Whom a bearer token names.
struct User: Authenticatable {
    var name: String
}

/// Vapor-style authentication: `Authorization: Bearer NAME` logs NAME in.
struct BearerLogin: AsyncBearerAuthenticator {
    func authenticate(bearer: BearerAuthorization, for request: Request) async throws {
        request.auth.login(User(name: bearer.token))
    }
}

/// Puts a cookie on every response, the 101 included.
struct CookieMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "Set-Cookie", value: "seen=1")
        return response
    }
}

/// What a room route's decision hands its handler.
struct Member: Sendable {
    var user: String
    var room: String
}

let testLogger: Logger = {
    var logger = Logger(label: "WSVaporTests")
    logger.logLevel = .warning
    return logger
}()

/// Echoes every message from the event loop; answers "who" with its greeting.
final class LoopEcho: WebSocketEventLoopHandler {
    let greeting: String
    init(greeting: String) { self.greeting = greeting }
    func webSocket(_ webSocket: WSHTTP.WebSocket.OnLoop, didReceive message: WSHTTP.WebSocket.LentMessage) {
        if message.text == "who" { webSocket.send(.text(greeting)) } else { webSocket.send(message) }
    }
}

@Suite("WSVapor: WebSocket routes on a Vapor application", .timeLimit(.minutes(1)), .serialized)
struct WebSocketRouteTests {
    static func echoRoutes(_ app: Application) {
        app.get { _ in "plain page" }
        app.ws("echo") { ws, _ in
            for await message in ws.messages { try await ws.send(message) }
        }
    }

    @Test("plain HTTP and a WebSocket on one port: a page, then text and binary echoed, then a clean close")
    func httpAndWebSocketOnOnePort() async throws {
        try await withApp(Self.echoRoutes) { _, port in
            let page = try await exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: port)
            #expect(page.hasPrefix("HTTP/1.1 200 OK"))
            #expect(page.hasSuffix("plain page"))
            let webSocket = try await WSHTTP.WebSocket.connect(to: "ws://127.0.0.1:\(port)/echo", logger: testLogger)
            #expect(webSocket.handshake.deflate != nil, "permessage-deflate agreed, as WSServer does by default")
            try await webSocket.send(text: "héllo")
            #expect(try await webSocket.receive() == .text("héllo"))
            try await webSocket.send(binary: [0, 1, 255])
            #expect(try await webSocket.receive() == .binary([0, 1, 255]))
            #expect(await webSocket.close() == CloseOutcome(code: .normalClosure, wasClean: true))
        }
    }

    @Test("a plain GET on a WebSocket route gets 426 Upgrade Required; an invalid upgrade gets WSHandshake's 400 with its reason")
    func plainAndInvalidRequests() async throws {
        try await withApp(Self.echoRoutes) { _, port in
            let plain = try await exchange("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: port)
            #expect(plain.hasPrefix("HTTP/1.1 426 Upgrade Required"))
            #expect(plain.lowercased().contains("upgrade: websocket"))
            let noKey = "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\n\r\n"
            let invalid = try await exchange(noKey, port: port)
            #expect(invalid.hasPrefix("HTTP/1.1 400 Bad Request"))
            #expect(invalid.contains("Sec-WebSocket-Key"), "the reason says what was wrong: \(invalid)")
            let unknown = try await exchange(upgradeRequest("/nowhere"), port: port)
            #expect(unknown.hasPrefix("HTTP/1.1 404 Not Found"), "an upgrade no route matches gets Vapor's 404")
        }
    }

    @Test("Vapor's middleware runs before the 101: 401 from its guard, else the handler knows the user and the path parameter")
    func middlewareRefusesBeforeTheUpgrade() async throws {
        try await withApp({ app in
            app.grouped(CookieMiddleware(), BearerLogin(), User.guardMiddleware()).ws("private", "rooms", ":room") { request in
                let room = request.parameters.get("room") ?? "?"
                guard room != "closed" else { throw Abort(.forbidden, headers: ["Retry-After": "60"]) }
                return Member(user: try request.auth.require(User.self).name, room: room)
            } onUpgrade: { ws, member in
                try await ws.send(text: "\(member.user) in \(member.room)")
                _ = await ws.closed()
            }
        }) { _, port in
            let refused = try await exchange(upgradeRequest("/private/rooms/lobby"), port: port)
            #expect(refused.hasPrefix("HTTP/1.1 401 Unauthorized"))
            await #expect {
                _ = try await WSHTTP.WebSocket.connect(to: "ws://127.0.0.1:\(port)/private/rooms/lobby", logger: testLogger)
            } throws: { error in
                (error as? WebSocketError)?.response?.status == .unauthorized
            }
            let forbidden = try await exchange(upgradeRequest("/private/rooms/closed", extra: "Authorization: Bearer ada\r\n"), port: port)
            #expect(forbidden.hasPrefix("HTTP/1.1 403 Forbidden"), "the route's own refusal")
            #expect(forbidden.contains("Retry-After: 60"))

            let configuration = WebSocketClientConfiguration(headerFields: [.authorization: "Bearer ada"])
            let webSocket = try await WSHTTP.WebSocket.connect(to: "ws://127.0.0.1:\(port)/private/rooms/lobby",
                                                               configuration: configuration, logger: testLogger)
            #expect(webSocket.handshake.responseFields[.setCookie] == "seen=1", "the middleware's header fields are on the 101")
            #expect(try await webSocket.receive() == .text("ada in lobby"), "the user and the path parameter reached the handler")
            await webSocket.close()
        }
    }

    @Test("the configuration applies as in WSServer, the application's or a route's own: subprotocols in order, the message limit closes with 1009")
    func configurationApplies() async throws {
        var limited = WSHTTP.WebSocket.Configuration.default
        limited.maxMessageSize = 1000
        limited.deflate = nil
        try await withApp({ app in
            app.webSocketUpgrade = WebSocketUpgradeConfiguration(webSocket: limited, subprotocols: ["chat.v2", "chat.v1"])
            Self.echoRoutes(app)
            app.ws("roomy", configuration: .init(subprotocols: ["chat.v1"])) { ws, _ in
                for await message in ws.messages { try await ws.send(message) }
            }
        }) { _, port in
            let client = try await WSHTTP.WebSocket.connect(to: "ws://127.0.0.1:\(port)/echo",
                                                            configuration: .init(subprotocols: ["chat.v1", "chat.v2"]), logger: testLogger)
            #expect(client.handshake.subprotocol == "chat.v2")
            #expect(client.handshake.deflate == nil, "permessage-deflate off by configuration")
            try await client.send(binary: [UInt8](repeating: 1, count: 2000))
            #expect(await client.closed().code == .messageTooBig)

            let roomy = try await WSHTTP.WebSocket.connect(to: "ws://127.0.0.1:\(port)/roomy",
                                                           configuration: .init(subprotocols: ["chat.v1", "chat.v2"]), logger: testLogger)
            #expect(roomy.handshake.subprotocol == "chat.v1", "the route's own configuration")
            try await roomy.send(binary: [UInt8](repeating: 1, count: 2000))
            #expect(try await roomy.receive() == .binary([UInt8](repeating: 1, count: 2000)))
            await roomy.close()
        }
    }

    @Test("a handler that returns closes with 1000; one that throws closes with 1011")
    func handlerEndings() async throws {
        struct Broken: Error {}
        try await withApp({ app in
            app.ws("returns") { _, _ in }
            app.ws("throws") { _, _ in throw Broken() }
        }) { _, port in
            let returns = try await WSHTTP.WebSocket.connect(to: "ws://127.0.0.1:\(port)/returns", logger: testLogger)
            #expect(await returns.closed().code == .normalClosure)
            let throwing = try await WSHTTP.WebSocket.connect(to: "ws://127.0.0.1:\(port)/throws", logger: testLogger)
            #expect(await throwing.closed().code == .internalError)
        }
    }

    @Test("the server's graceful shutdown closes every WebSocket with 1001")
    func gracefulShutdownSendsGoingAway() async throws {
        try await withApp(Self.echoRoutes) { app, port in
            var clients: [WSHTTP.WebSocket] = []
            for _ in 0..<3 {
                clients.append(try await WSHTTP.WebSocket.connect(to: "ws://127.0.0.1:\(port)/echo", logger: testLogger))
            }
            try await clients[0].send(text: "before")
            #expect(try await clients[0].receive() == .text("before"))
            await app.server.shutdown()
            for client in clients {
                #expect(try await client.receive() == nil)
                #expect(await client.closed() == CloseOutcome(code: .goingAway, reason: "server shutting down", wasClean: true))
            }
        }
    }

    @Test("an event-loop route: no task per connection, the decision's value reaches the handler, shutdown closes it with 1001")
    func eventLoopRoute() async throws {
        try await withApp({ app in
            app.ws("loop", ":name", shouldUpgrade: { request in request.parameters.get("name") ?? "?" },
                   eventLoopHandler: { name, _ in LoopEcho(greeting: "hello \(name)") })
        }) { app, port in
            let client = try await WSHTTP.WebSocket.connect(to: "ws://127.0.0.1:\(port)/loop/ada", logger: testLogger)
            try await client.send(binary: [9, 8, 7])
            #expect(try await client.receive() == .binary([9, 8, 7]))
            try await client.send(text: "who")
            #expect(try await client.receive() == .text("hello ada"))
            await app.server.shutdown()
            #expect(await client.closed() == CloseOutcome(code: .goingAway, reason: "server shutting down", wasClean: true))
        }
    }
}
