public import HTTPTypes

/// A client's request to upgrade to WebSocket, checked by a server (RFC 6455 §4.2.1).
///
/// ```swift
/// let upgrade = try WebSocketUpgradeRequest(validating: request, httpVersion: (1, 1))
/// let protocol = upgrade.subprotocol(choosingFrom: ["chat.v2", "chat.v1"])
/// let response = upgrade.acceptResponse(subprotocol: protocol)   // 101 Switching Protocols
/// ```
public struct WebSocketUpgradeRequest: Sendable, Hashable {
    /// The request as received.
    public let request: HTTPRequest
    /// `Sec-WebSocket-Key`.
    public let key: String
    /// The subprotocols the client offers, in its order.
    public let subprotocols: [String]
    /// The extensions the client offers, in its order of preference.
    public let extensions: [WebSocketExtensionOffer]

    /// Checks `request` against RFC 6455 §4.2.1, in the order a person would fix them.
    ///
    /// - Parameters:
    ///   - request: the request head.
    ///   - httpVersion: the request line's version; HTTP/1.1 or later is required.
    /// - Throws: ``HandshakeError`` with the status to refuse with: 405 (not GET), 400 (HTTP
    ///   older than 1.1; no Host; `Upgrade` without `websocket` or `Connection` without
    ///   `upgrade`, as case-insensitive token lists in any order; a key that is not the
    ///   base64 of 16 bytes; malformed subprotocols or extensions), 426 with
    ///   `Sec-WebSocket-Version: 13` (a missing or other version).
    public init(validating request: HTTPRequest, httpVersion: (major: Int, minor: Int)) throws(HandshakeError) {
        let fields = request.headerFields
        guard request.method == .get else {
            throw .request(.methodNotGet, .methodNotAllowed, "a WebSocket upgrade must use GET, not \(request.method.rawValue) (RFC 6455 §4.1)",
                           headerFields: [.allow: "GET"])
        }
        guard httpVersion.major > 1 || (httpVersion.major == 1 && httpVersion.minor >= 1) else {
            throw .request(.httpVersionTooOld, .badRequest,
                           "a WebSocket upgrade needs HTTP/1.1 or later, not HTTP/\(httpVersion.major).\(httpVersion.minor) (RFC 6455 §4.1)")
        }
        guard request.authority?.isEmpty == false else {
            throw .request(.missingHost, .badRequest, "the request has no Host header (RFC 6455 §4.1)")
        }
        guard HeaderTokens.contains(fields[values: .upgrade], "websocket") else {
            throw .request(.missingUpgrade, .badRequest, "the Upgrade header must contain \"websocket\" (RFC 6455 §4.1)")
        }
        guard HeaderTokens.contains(fields[values: .connection], "upgrade") else {
            throw .request(.missingConnectionUpgrade, .badRequest, "the Connection header must contain \"Upgrade\" (RFC 6455 §4.1)")
        }
        let keys = fields[values: .secWebSocketKey]
        guard keys.count == 1, let key = keys.first, WebSocketKey.isValid(key) else {
            throw .request(.invalidKey, .badRequest,
                           keys.isEmpty ? "the request has no Sec-WebSocket-Key (RFC 6455 §4.1)"
                               : "Sec-WebSocket-Key must be one base64-encoded 16-byte value (RFC 6455 §4.1)")
        }
        let versions = HeaderTokens.elements(fields[values: .secWebSocketVersion])
        guard versions == ["13"] else {
            throw .request(.unsupportedVersion, .upgradeRequired,
                           versions.isEmpty ? "the request has no Sec-WebSocket-Version; this server speaks version 13 (RFC 6455 §4.4)"
                               : "Sec-WebSocket-Version \(versions.joined(separator: ", ")) is not supported; this server speaks version 13 (RFC 6455 §4.4)",
                           headerFields: [.secWebSocketVersion: "13"])
        }
        let subprotocols = HeaderTokens.elements(fields[values: .secWebSocketProtocol]).map(String.init)
        if let bad = subprotocols.first(where: { !HeaderTokens.isToken($0) }) {
            throw .request(.malformedSubprotocols, .badRequest, "Sec-WebSocket-Protocol holds \"\(bad)\", which is not a token (RFC 6455 §4.1)")
        }
        self.request = request
        self.key = key
        self.subprotocols = subprotocols
        self.extensions = try WebSocketExtensionOffer.parse(fields[values: .secWebSocketExtensions])
    }

    /// The request target (path and query), `/` if none.
    public var target: String { request.target }
    /// The `Origin` header, sent by browsers; `nil` from most other clients.
    public var origin: String? { request.origin }

    /// The first of `supported` (the server's order of preference) that the client offered,
    /// or `nil` to answer without a subprotocol (RFC 6455 §4.2.2).
    public func subprotocol(choosingFrom supported: [String]) -> String? {
        supported.first { subprotocols.contains($0) }
    }

    /// The 101 response that accepts the upgrade (RFC 6455 §4.2.2).
    ///
    /// - Parameters:
    ///   - subprotocol: the chosen subprotocol; must be one the client offered (a precondition).
    ///   - extensions: the server's answers to the extensions it accepts.
    ///   - headerFields: more fields for the response, such as `Set-Cookie`. A 101 has no body:
    ///     `Content-Length` and `Transfer-Encoding` among them are left out (RFC 9110 §8.6, §6.1).
    public func acceptResponse(
        subprotocol: String? = nil, extensions: [WebSocketExtensionOffer] = [], headerFields: HTTPFields = [:]
    ) -> HTTPResponse {
        precondition(subprotocol.map(subprotocols.contains) ?? true, "the chosen subprotocol was not offered")
        var fields = headerFields
        fields[.contentLength] = nil
        fields[.transferEncoding] = nil
        fields[.upgrade] = "websocket"
        fields[.connection] = "Upgrade"
        fields[.secWebSocketAccept] = WebSocketKey.accept(for: key)
        if let subprotocol { fields[.secWebSocketProtocol] = subprotocol }
        if !extensions.isEmpty { fields[.secWebSocketExtensions] = WebSocketExtensionOffer.headerValue(extensions) }
        return HTTPResponse(status: .switchingProtocols, headerFields: fields)
    }
}
