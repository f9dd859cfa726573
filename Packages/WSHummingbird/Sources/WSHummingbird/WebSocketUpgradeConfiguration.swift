public import HummingbirdCore
public import WSHTTP

/// How ``HummingbirdCore/HTTPServerBuilder/webSocketUpgrade(router:configuration:)`` serves
/// HTTP/1.1 and WebSockets on one port.
public struct WebSocketUpgradeConfiguration: Sendable {
    /// The WebSockets' limits, keepalive, timeouts and permessage-deflate policy, as in
    /// WSServer.
    public var webSocket: WebSocket.Configuration
    /// The subprotocols spoken, in order of preference: a connection gets the first that the
    /// client offered, or none.
    public var subprotocols: [String]
    /// Whether a route's `onUpgrade` runs with its connection's event loop as task executor
    /// (``WSHTTP/WebSocket/taskExecutor``), so that receiving and sending need no thread
    /// switch. Default `true`; set `false` for handlers that do long synchronous work.
    public var runsOnEventLoop: Bool
    /// Hummingbird's HTTP/1.1 settings for the plain requests: extra channel handlers, idle
    /// timeout, header limits.
    public var http1: HTTP1Channel.Configuration

    /// A configuration; by default the library's WebSocket defaults (permessage-deflate
    /// accepted, 16 MiB messages), no subprotocol, handlers on the event loop.
    public init(webSocket: WebSocket.Configuration = .default, subprotocols: [String] = [], runsOnEventLoop: Bool = true,
                http1: HTTP1Channel.Configuration = .init()) {
        self.webSocket = webSocket
        self.subprotocols = subprotocols
        self.runsOnEventLoop = runsOnEventLoop
        self.http1 = http1
    }
}
