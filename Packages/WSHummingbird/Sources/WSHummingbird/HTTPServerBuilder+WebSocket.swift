public import Hummingbird
public import HummingbirdCore

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrades, for `Application(router:server:)`: plain requests
    /// go to the application's router, and upgrade requests to `router`'s ``Hummingbird/RouterMethods/ws(_:shouldUpgrade:onUpgrade:)``
    /// routes (after its middleware), served by this library's `WebSocket`.
    ///
    /// ```swift
    /// let router = Router()
    /// router.get("/") { _, _ in "hello" }
    /// router.ws("echo") { webSocket, _ in
    ///     for await message in webSocket.messages { try await webSocket.send(message) }
    /// }
    /// let app = Application(router: router, server: .webSocketUpgrade(router: router))
    /// try await app.runService()
    /// ```
    ///
    /// - Parameters:
    ///   - router: the router that holds the WebSocket routes; usually the application's own.
    ///     A request that is not a valid upgrade gets 400 (or 426 for another version); one
    ///     whose route refuses, or that no route matches, gets the router's response.
    ///   - configuration: the WebSockets' configuration and Hummingbird's HTTP/1.1 settings.
    public static func webSocketUpgrade<Builder: HTTPResponderBuilder>(
        router: Builder, configuration: WebSocketUpgradeConfiguration = .init()
    ) -> HTTPServerBuilder where Builder.Responder.Context: RequestContext, Builder.Responder.Context.Source == ApplicationRequestContextSource {
        let upgradeResponder = router.buildResponder()
        return HTTPServerBuilder { responder in
            WebSocketUpgradeChannel(responder: responder, upgradeResponder: upgradeResponder, configuration: configuration)
        }
    }
}
