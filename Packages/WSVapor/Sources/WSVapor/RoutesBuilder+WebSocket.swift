import HTTPTypes
public import Vapor
public import WSHTTP
import WSHandshake

extension RoutesBuilder {
    /// A WebSocket route: a GET on `path` that upgrades to this library's `WebSocket` once
    /// Vapor's middleware (authentication, say) and `shouldUpgrade` have let it through.
    ///
    /// ```swift
    /// app.grouped(UserAuthenticator(), User.guardMiddleware()).ws("rooms", ":room") { req in
    ///     Member(user: try req.auth.require(User.self), room: req.parameters.get("room")!)
    /// } onUpgrade: { ws, member in
    ///     for await message in ws.messages { … }
    /// }
    /// ```
    ///
    /// A plain GET on the path (no upgrade) gets 426 Upgrade Required; an upgrade request that
    /// is not valid gets WSHandshake's 400 (or 426 for another version) with the reason.
    ///
    /// - Parameters:
    ///   - path: the route's path, with parameters (`"rooms", ":room"`) as on any route.
    ///   - configuration: this route's WebSocket configuration; nil: `app.webSocketUpgrade`.
    ///   - shouldUpgrade: decides before the 101, with the request (parameters, `req.auth`):
    ///     what it returns goes to `onUpgrade`; an error it throws refuses the upgrade with
    ///     the response Vapor makes of it (`Abort(.forbidden)`, any `AbortError`). Header
    ///     fields that middleware put on the response (a `Set-Cookie`, say) go on the 101.
    ///   - onUpgrade: runs the connection. When it returns the connection closes with 1000; when
    ///     it throws, with 1011.
    @discardableResult
    public func ws<Value: Sendable>(
        _ path: PathComponent..., configuration: WebSocketUpgradeConfiguration? = nil,
        shouldUpgrade: @escaping @Sendable (Request) async throws -> Value,
        onUpgrade: @escaping @Sendable (WSHTTP.WebSocket, Value) async throws -> Void
    ) -> Route {
        webSocketRoute(path, configuration: configuration, shouldUpgrade: shouldUpgrade) { value in
            .task { webSocket in try await onUpgrade(webSocket, value) }
        }
    }

    /// A WebSocket route whose connections run on their event loop, without a task each: the
    /// loop calls the handler that `eventLoopHandler` makes, with each message lent and sends
    /// that never wait (`WebSocketEventLoopHandler`, as websocket-kit's `onText` callbacks).
    /// What an echo, a relay or a broadcast hub wants: about 6 KiB less per idle connection
    /// than a task.
    ///
    /// ```swift
    /// final class Echo: WebSocketEventLoopHandler {
    ///     func webSocket(_ webSocket: WSHTTP.WebSocket.OnLoop, didReceive message: WSHTTP.WebSocket.LentMessage) { webSocket.send(message) }
    /// }
    /// app.ws("echo", shouldUpgrade: { _ in }, eventLoopHandler: { _, _ in Echo() })
    /// ```
    @discardableResult
    public func ws<Value: Sendable>(
        _ path: PathComponent..., configuration: WebSocketUpgradeConfiguration? = nil,
        shouldUpgrade: @escaping @Sendable (Request) async throws -> Value,
        eventLoopHandler: @escaping @Sendable (Value, WSHTTP.WebSocket.Handshake) -> any WebSocketEventLoopHandler
    ) -> Route {
        webSocketRoute(path, configuration: configuration, shouldUpgrade: shouldUpgrade) { value in
            .eventLoop { handshake in eventLoopHandler(value, handshake) }
        }
    }

    /// A WebSocket route that upgrades every valid request its middleware lets through; the
    /// handler gets the connection and its upgrade request (parameters, `req.auth`).
    @discardableResult
    public func ws(
        _ path: PathComponent..., configuration: WebSocketUpgradeConfiguration? = nil,
        onUpgrade: @escaping @Sendable (WSHTTP.WebSocket, Request) async throws -> Void
    ) -> Route {
        webSocketRoute(path, configuration: configuration, shouldUpgrade: { $0 }) { request in
            .task { webSocket in try await onUpgrade(webSocket, request) }
        }
    }

    private func webSocketRoute<Value: Sendable>(
        _ path: [PathComponent], configuration: WebSocketUpgradeConfiguration?,
        shouldUpgrade: @escaping @Sendable (Request) async throws -> Value,
        runner: @escaping @Sendable (Value) -> WebSocketAdoptingUpgrader.Runner
    ) -> Route {
        on(.GET, path) { request async throws -> Response in
            let configuration = configuration ?? request.application.webSocketUpgrade
            let upgrade: WebSocketUpgradeRequest
            switch UpgradeCheck(request) {
            case .notAnUpgrade:
                return UpgradeCheck.upgradeRequired
            case .invalid(let error):
                request.logger.notice("upgrade refused", metadata: ["ws.status": "\(error.refusal.status.code)", "ws.reason": "\(error.message)"])
                return UpgradeCheck.response(for: error)
            case .valid(let checked):
                upgrade = checked
            }
            let value = try await shouldUpgrade(request)
            let response = Response(status: .switchingProtocols)
            response.upgrader = WebSocketAdoptingUpgrader(upgrade: upgrade, configuration: configuration, logger: request.logger,
                                                          runner: runner(value))
            return response
        }
    }
}
