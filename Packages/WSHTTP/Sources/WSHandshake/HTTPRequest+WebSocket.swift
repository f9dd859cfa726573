public import HTTPTypes

/// What a request says about a WebSocket upgrade: whether it asks for one, its origin, its
/// target and the subprotocols it offers.
extension HTTPRequest {
    /// Whether this looks like a WebSocket upgrade (WebSockets.jl's `is_upgrade`): GET, `Upgrade`
    /// containing `websocket` and `Connection` containing `upgrade`, as token lists in any
    /// order and case. ``WebSocketUpgradeRequest/init(validating:httpVersion:)`` checks the rest.
    public var isWebSocketUpgrade: Bool {
        method == .get
            && HeaderTokens.contains(headerFields[values: .upgrade], "websocket")
            && HeaderTokens.contains(headerFields[values: .connection], "upgrade")
    }

    /// Whether the request asks for a WebSocket, valid or not: its `Upgrade` header holds the
    /// token `websocket` (compared case-insensitively, in a list of any order). A server sends
    /// such a request through ``WebSocketUpgradeRequest/init(validating:httpVersion:)``, which
    /// accepts it or answers with the refusal RFC 6455 §4.2.1 and §4.4 call for (405 with
    /// `Allow: GET`, 400, or 426 with `Sec-WebSocket-Version: 13`), rather than answering it as
    /// a plain HTTP request. A request with another `Upgrade` (`h2c`) or none is plain HTTP:
    /// a server may ignore an upgrade it does not speak (RFC 9110 §7.8).
    public var requestsWebSocketUpgrade: Bool {
        HeaderTokens.contains(headerFields[values: .upgrade], "websocket")
    }

    /// The `Origin` header (WebSockets.jl's `origin`): present from browsers, for origin checks.
    public var origin: String? { headerFields[.origin] }

    /// The request target, path and query (WebSockets.jl's `target`); `/` when there is none.
    public var target: String { path ?? "/" }

    /// The subprotocols the client offers in `Sec-WebSocket-Protocol`, in its order (WebSockets.jl's
    /// `subprotocol`).
    public var webSocketSubprotocols: [String] {
        HeaderTokens.elements(headerFields[values: .secWebSocketProtocol]).map(String.init)
    }
}

extension HTTPResponse {
    /// 426 Upgrade Required: the answer to a plain request (no `Upgrade: websocket`) for a
    /// resource that only speaks WebSocket, with the `Upgrade` and `Connection` fields RFC 9110
    /// §15.5.22 asks for and the version this library speaks (RFC 6455 §4.4).
    public static var webSocketUpgradeRequired: HTTPResponse {
        HTTPResponse(status: .upgradeRequired,
                     headerFields: [.upgrade: "websocket", .connection: "Upgrade", .secWebSocketVersion: "13"])
    }
}
