public import HTTPTypes

extension HTTPRequest {
    /// Whether this looks like a WebSocket upgrade (the seed's `is_upgrade`): GET, `Upgrade`
    /// containing `websocket` and `Connection` containing `upgrade`, as token lists in any
    /// order and case. ``WebSocketUpgradeRequest/init(validating:httpVersion:)`` checks the rest.
    public var isWebSocketUpgrade: Bool {
        method == .get
            && HeaderTokens.contains(headerFields[values: .upgrade], "websocket")
            && HeaderTokens.contains(headerFields[values: .connection], "upgrade")
    }

    /// The `Origin` header (the seed's `origin`): present from browsers, for origin checks.
    public var origin: String? { headerFields[.origin] }

    /// The request target, path and query (the seed's `target`); `/` when there is none.
    public var target: String { path ?? "/" }

    /// The subprotocols the client offers in `Sec-WebSocket-Protocol`, in its order (the
    /// seed's `subprotocol`).
    public var webSocketSubprotocols: [String] {
        HeaderTokens.elements(headerFields[values: .secWebSocketProtocol]).map(String.init)
    }
}
