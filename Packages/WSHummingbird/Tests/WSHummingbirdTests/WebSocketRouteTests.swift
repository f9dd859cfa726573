import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Testing
import WSConnect
import WSHummingbird

/// A request context that carries what an authentication middleware learned.
struct AuthContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var user: String?
    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        user = nil
    }
}

/// Hummingbird-style authentication: `Authorization: Bearer NAME` names the user; no header
/// is a 401 with `WWW-Authenticate`, before any route (and before any 101).
struct BearerAuth: RouterMiddleware {
    func handle(_ request: Request, context: AuthContext, next: (Request, AuthContext) async throws -> Response) async throws -> Response {
        guard let value = request.headers[.authorization], value.hasPrefix("Bearer ") else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"test\""])
        }
        var context = context
        context.user = String(value.dropFirst("Bearer ".count))
        var response = try await next(request, context)
        response.headers[.setCookie] = "seen=1"
        return response
    }
}

/// What a room route's decision hands its handler.
struct Member: Sendable {
    var user: String
    var room: String
}

/// Echoes every message from the event loop.
final class LoopEcho: WebSocketEventLoopHandler {
    let greeting: String
    init(greeting: String) { self.greeting = greeting }
    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
        if message.text == "who" { webSocket.send(.text(greeting)) } else { webSocket.send(message) }
    }
}

@Suite("WSHummingbird: WebSocket routes on a Hummingbird router", .timeLimit(.minutes(1)))
struct WebSocketRouteTests {
    static func echoRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ in "plain page" }
        router.ws("echo") { webSocket, _ in
            for await message in webSocket.messages { try await webSocket.send(message) }
        }
        return router
    }

    @Test("plain HTTP and a WebSocket on one port: a page, then text and binary echoed, then a clean close")
    func httpAndWebSocketOnOnePort() async throws {
        try await withApp(Self.echoRouter()) { app in
            let page = try await exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: app.port)
            #expect(page.hasPrefix("HTTP/1.1 200 OK"))
            #expect(page.hasSuffix("plain page"))
            let webSocket = try await WebSocket.connect(to: "ws://127.0.0.1:\(app.port)/echo", logger: testLogger)
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
        try await withApp(Self.echoRouter()) { app in
            let plain = try await exchange("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: app.port)
            #expect(plain.hasPrefix("HTTP/1.1 426 Upgrade Required"))
            #expect(plain.lowercased().contains("upgrade: websocket"))
            let noKey = "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"
            let invalid = try await exchange(noKey, port: app.port)
            #expect(invalid.hasPrefix("HTTP/1.1 400 Bad Request"))
            #expect(invalid.contains("Sec-WebSocket-Key"), "the reason says what was wrong: \(invalid)")
            let unknown = try await exchange(upgradeRequest("/nowhere", port: app.port), port: app.port)
            #expect(unknown.hasPrefix("HTTP/1.1 404 Not Found"), "an upgrade no route matches gets the router's 404")
        }
    }

    @Test("authentication middleware runs before the 101: 401 with WWW-Authenticate, else the route's handler knows the user")
    func middlewareRefusesBeforeTheUpgrade() async throws {
        let router = Router(context: AuthContext.self)
        router.get("/") { _, _ in "public page" }
        router.group("private").add(middleware: BearerAuth()).ws("rooms/:room") { request, context in
            let room = try context.parameters.require("room")
            guard room != "closed" else { throw WebSocketRefusal(Response(status: .forbidden, headers: [.retryAfter: "60"])) }
            return Member(user: context.user ?? "?", room: room)
        } onUpgrade: { webSocket, member in
            try await webSocket.send(text: "\(member.user) in \(member.room)")
            _ = await webSocket.closed()
        }
        try await withApp(router) { app in
            let refused = try await exchange(upgradeRequest("/private/rooms/lobby", port: app.port), port: app.port)
            #expect(refused.hasPrefix("HTTP/1.1 401 Unauthorized"))
            #expect(refused.contains("WWW-Authenticate: Bearer realm=\"test\""))
            await #expect {
                _ = try await WebSocket.connect(to: "ws://127.0.0.1:\(app.port)/private/rooms/lobby", logger: testLogger)
            } throws: { error in
                (error as? WebSocketError)?.response?.status == .unauthorized
            }
            let forbidden = try await exchange(upgradeRequest("/private/rooms/closed", port: app.port, extra: "Authorization: Bearer ada\r\n"),
                                               port: app.port)
            #expect(forbidden.hasPrefix("HTTP/1.1 403 Forbidden"), "the route's own refusal, as it made it")
            #expect(forbidden.contains("Retry-After: 60"))

            let configuration = WebSocketClientConfiguration(headerFields: [.authorization: "Bearer ada"])
            let webSocket = try await WebSocket.connect(to: "ws://127.0.0.1:\(app.port)/private/rooms/lobby",
                                                        configuration: configuration, logger: testLogger)
            #expect(webSocket.handshake.responseFields[.setCookie] == "seen=1", "the middleware's header fields are on the 101")
            #expect(try await webSocket.receive() == .text("ada in lobby"), "the user and the path parameter reached the handler")
            await webSocket.close()
        }
    }

    @Test("the configuration applies as in WSServer: subprotocols chosen in order, the message limit closes with 1009")
    func configurationApplies() async throws {
        var webSocket = WebSocket.Configuration.default
        webSocket.maxMessageSize = 1000
        webSocket.deflate = nil
        let configuration = WebSocketUpgradeConfiguration(webSocket: webSocket, subprotocols: ["chat.v2", "chat.v1"])
        try await withApp(Self.echoRouter(), configuration: configuration) { app in
            let client = try await WebSocket.connect(to: "ws://127.0.0.1:\(app.port)/echo",
                                                     configuration: .init(subprotocols: ["chat.v1", "chat.v2"]), logger: testLogger)
            #expect(client.handshake.subprotocol == "chat.v2")
            #expect(client.handshake.deflate == nil, "permessage-deflate off by configuration")
            try await client.send(binary: [UInt8](repeating: 1, count: 2000))
            let outcome = await client.closed()
            #expect(outcome.code == .messageTooBig)
        }
    }

    @Test("a handler that returns closes with 1000; one that throws closes with 1011")
    func handlerEndings() async throws {
        struct Broken: Error {}
        let router = Router()
        router.ws("returns") { _, _ in }
        router.ws("throws") { _, _ in throw Broken() }
        try await withApp(router) { app in
            let returns = try await WebSocket.connect(to: "ws://127.0.0.1:\(app.port)/returns", logger: testLogger)
            #expect(await returns.closed().code == .normalClosure)
            let throwing = try await WebSocket.connect(to: "ws://127.0.0.1:\(app.port)/throws", logger: testLogger)
            #expect(await throwing.closed().code == .internalError)
        }
    }

    @Test("an upgrade request after a plain one on a kept-alive connection is redirected to a new connection")
    func laterUpgradeIsRedirected() async throws {
        try await withApp(Self.echoRouter()) { app in
            let answer = try await exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + upgradeRequest("/echo?room=1", port: app.port), port: app.port)
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
            #expect(answer.contains("HTTP/1.1 307 Temporary Redirect"))
            #expect(answer.contains("Location: /echo?room=1"))
        }
    }

    @Test("the application's graceful shutdown closes every WebSocket with 1001 and then ends")
    func gracefulShutdownSendsGoingAway() async throws {
        try await withApp(Self.echoRouter()) { app in
            let clients = try await withThrowingTaskGroup(of: WebSocket.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await WebSocket.connect(to: "ws://127.0.0.1:\(app.port)/echo", logger: testLogger) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await clients[0].send(text: "before")
            #expect(try await clients[0].receive() == .text("before"))
            await app.group.triggerGracefulShutdown()
            for client in clients {
                #expect(try await client.receive() == nil)
                #expect(await client.closed() == CloseOutcome(code: .goingAway, reason: "server shutting down", wasClean: true))
            }
        }
    }

    @Test("an event-loop route: no task per connection, the decision's value reaches the handler, shutdown closes it with 1001")
    func eventLoopRoute() async throws {
        let router = Router()
        router.ws("loop/:name", shouldUpgrade: { _, context in try context.parameters.require("name") },
                  eventLoopHandler: { name, _ in LoopEcho(greeting: "hello \(name)") })
        try await withApp(router) { app in
            let client = try await WebSocket.connect(to: "ws://127.0.0.1:\(app.port)/loop/ada", logger: testLogger)
            try await client.send(binary: [9, 8, 7])
            #expect(try await client.receive() == .binary([9, 8, 7]))
            try await client.send(text: "who")
            #expect(try await client.receive() == .text("hello ada"))
            await app.group.triggerGracefulShutdown()
            #expect(await client.closed() == CloseOutcome(code: .goingAway, reason: "server shutting down", wasClean: true))
        }
    }
}
