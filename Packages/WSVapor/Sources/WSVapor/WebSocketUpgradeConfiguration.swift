public import Vapor
public import WSHTTP

/// How an application's ``Vapor/RoutesBuilder/ws(_:configuration:shouldUpgrade:onUpgrade:)``
/// routes serve their WebSockets: `app.webSocketUpgrade`, or a route's own.
public struct WebSocketUpgradeConfiguration: Sendable {
    /// The WebSockets' limits, keepalive, timeouts and permessage-deflate policy, as in
    /// WSServer.
    public var webSocket: WSHTTP.WebSocket.Configuration
    /// The subprotocols spoken, in order of preference: a connection gets the first that the
    /// client offered, or none.
    public var subprotocols: [String]
    /// Whether a route's `onUpgrade` runs with its connection's event loop as task executor
    /// (``WSHTTP/WebSocket/taskExecutor``), so that receiving and sending need no thread
    /// switch. Default `true`; set `false` for handlers that do long synchronous work.
    public var runsOnEventLoop: Bool

    /// A configuration; by default the library's WebSocket defaults (permessage-deflate
    /// accepted, 16 MiB messages), no subprotocol, handlers on the event loop.
    public init(webSocket: WSHTTP.WebSocket.Configuration = .default, subprotocols: [String] = [], runsOnEventLoop: Bool = true) {
        self.webSocket = webSocket
        self.subprotocols = subprotocols
        self.runsOnEventLoop = runsOnEventLoop
    }
}

extension Application {
    private struct WebSocketUpgradeKey: StorageKey {
        typealias Value = WebSocketUpgradeConfiguration
    }

    /// The configuration of this application's ``Vapor/RoutesBuilder/ws(_:configuration:shouldUpgrade:onUpgrade:)``
    /// routes, for those that bring none of their own. Set it before the routes are
    /// declared, as `app.http.server.configuration` is set before the server starts.
    public var webSocketUpgrade: WebSocketUpgradeConfiguration {
        get { storage[WebSocketUpgradeKey.self] ?? .init() }
        set { storage[WebSocketUpgradeKey.self] = newValue }
    }
}
