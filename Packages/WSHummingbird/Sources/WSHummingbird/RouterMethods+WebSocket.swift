import HTTPTypes
public import Hummingbird
public import WSHTTP
import WSHandshake

extension RouterMethods {
    /// A WebSocket route: a GET on `path` that upgrades to this library's ``WebSocket``
    /// once the router's middleware (authentication, say) and `shouldUpgrade` have let it
    /// through.
    ///
    /// ```swift
    /// router.ws("rooms/:room") { request, context in
    ///     guard let user = context.identity else { throw HTTPError(.unauthorized) }
    ///     return Member(user: user, room: try context.parameters.require("room"))
    /// } onUpgrade: { webSocket, member in
    ///     for await message in webSocket.messages { … }
    /// }
    /// ```
    ///
    /// Serve it with ``HummingbirdCore/HTTPServerBuilder/webSocketUpgrade(router:configuration:)``,
    /// given the router that holds the route. A plain GET on the path (no upgrade) gets
    /// 426 Upgrade Required.
    ///
    /// - Parameters:
    ///   - path: the route's path, with parameters (`"rooms/:room"`) as on any route.
    ///   - shouldUpgrade: decides before the 101, with the request and its context (path
    ///     parameters, the authenticated identity): what it returns goes to `onUpgrade`; an
    ///     error it throws refuses the upgrade, with the error's response for an `HTTPError`
    ///     or a ``WebSocketRefusal`` (any response), else 500. Header fields that middleware
    ///     put on the response (a `Set-Cookie`, say) go on the 101.
    ///   - onUpgrade: runs the connection. When it returns the connection closes with 1000; when
    ///     it throws, with 1011.
    @discardableResult
    public func ws<Value: Sendable>(
        _ path: RouterPath = "",
        shouldUpgrade: @escaping @Sendable (Request, Context) async throws -> Value,
        onUpgrade: @escaping @Sendable (WebSocket, Value) async throws -> Void
    ) -> Self {
        webSocketRoute(path, shouldUpgrade: shouldUpgrade) { value in .task { webSocket in try await onUpgrade(webSocket, value) } }
    }

    /// A WebSocket route that upgrades every valid request its middleware lets through; the
    /// handler gets the request and its context (path parameters, the identity) with the
    /// connection.
    @discardableResult
    public func ws(
        _ path: RouterPath = "",
        onUpgrade: @escaping @Sendable (WebSocket, WebSocketRouteContext<Context>) async throws -> Void
    ) -> Self {
        ws(path, shouldUpgrade: { request, context in WebSocketRouteContext(request: request, requestContext: context) },
           onUpgrade: onUpgrade)
    }

    /// A WebSocket route whose connections run on their event loop, without a task each: the
    /// loop calls the handler that `eventLoopHandler` makes, with each message lent and sends
    /// that never wait (``WSHTTP/WebSocketEventLoopHandler``). What an echo, a relay or a
    /// broadcast hub wants: about 6 KiB less per idle connection than a task.
    ///
    /// ```swift
    /// final class Echo: WebSocketEventLoopHandler {
    ///     func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) { webSocket.send(message) }
    /// }
    /// router.ws("echo", shouldUpgrade: { _, _ in }, eventLoopHandler: { _, _ in Echo() })
    /// ```
    ///
    /// - Parameters:
    ///   - path: the route's path, with parameters, as on any route.
    ///   - shouldUpgrade: decides before the 101, as in ``ws(_:shouldUpgrade:onUpgrade:)``.
    ///   - eventLoopHandler: makes the connection's handler from the decision's value and the
    ///     handshake, on the connection's event loop.
    @discardableResult
    public func ws<Value: Sendable>(
        _ path: RouterPath = "",
        shouldUpgrade: @escaping @Sendable (Request, Context) async throws -> Value,
        eventLoopHandler: @escaping @Sendable (Value, WebSocket.Handshake) -> any WebSocketEventLoopHandler
    ) -> Self {
        webSocketRoute(path, shouldUpgrade: shouldUpgrade) { value in .eventLoop { handshake in eventLoopHandler(value, handshake) } }
    }

    /// The GET route behind every `ws`: answers a plain request with 426; on the upgrade path,
    /// runs the decision and leaves who runs the connection in the upgrade's slot.
    private func webSocketRoute<Value: Sendable>(
        _ path: RouterPath, shouldUpgrade: @escaping @Sendable (Request, Context) async throws -> Value,
        runner: @escaping @Sendable (Value) -> WebSocketRunner
    ) -> Self {
        on(path, method: .get) { request, context -> Response in
            guard let slot = UpgradeSlot.current else { return Self.upgradeRequired }
            slot.accept(runner(try await shouldUpgrade(request, context)))
            return Response(status: .switchingProtocols)
        }
    }

    /// 426 for a plain request to a WebSocket route (WSHandshake's answer).
    private static var upgradeRequired: Response {
        let answer = HTTPResponse.webSocketUpgradeRequired
        return Response(status: answer.status, headers: answer.headerFields)
    }
}

/// The upgrade request and its context, as the router left them before the 101.
public struct WebSocketRouteContext<Context: RequestContext>: Sendable {
    /// The upgrade request (its path, query and header fields).
    public let request: Request
    /// Its request context: path parameters, the identity that middleware authenticated.
    public let requestContext: Context
}
