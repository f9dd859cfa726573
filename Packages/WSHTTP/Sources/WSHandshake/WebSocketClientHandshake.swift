public import HTTPTypes

/// A client's side of the opening handshake (RFC 6455 §4.1): the request to send, and the
/// check of the server's answer.
public struct WebSocketClientHandshake: Sendable, Hashable {
    /// What the handshake settled: the subprotocol and the extensions the server accepted.
    public struct Negotiated: Sendable, Hashable {
        /// The subprotocol the server chose, if any.
        public var subprotocol: String?
        /// The server's answers to the extensions it accepted, in its order.
        public var extensions: [WebSocketExtensionOffer]
        /// The server's 101 response.
        public var response: HTTPResponse
    }

    /// `Sec-WebSocket-Key`.
    public let key: String
    /// The host connected to, without brackets: a name, an IPv4 or an IPv6 address. A `wss`
    /// client checks the server's certificate against it.
    public let host: String
    /// The request to send.
    public private(set) var request: HTTPRequest
    /// The subprotocols offered, in order of preference.
    public let subprotocols: [String]
    /// The extensions offered.
    public private(set) var extensions: [WebSocketExtensionOffer]

    /// Builds the request.
    ///
    /// - Parameters:
    ///   - target: path and query, such as `/chat?room=1`; `/` if empty.
    ///   - host: a host name, an IPv4 address, or an IPv6 address (bracketed or not).
    ///   - port: the port; left out of `Host` when it is the scheme's default.
    ///   - secure: `wss` (default port 443) or `ws` (80).
    ///   - origin: an `Origin` to send, as a browser would.
    ///   - subprotocols: offered in `Sec-WebSocket-Protocol`, in order of preference.
    ///   - extensions: offered in `Sec-WebSocket-Extensions`, after any written in `headerFields`.
    ///   - headerFields: more fields: `Authorization`, cookies, …
    ///   - key: the key; a new random one unless given (tests give their own).
    public init(
        target: String, host: String, port: Int, secure: Bool = false, origin: String? = nil,
        subprotocols: [String] = [], extensions: [WebSocketExtensionOffer] = [],
        headerFields: HTTPFields = [:], key: String = WebSocketKey.generate()
    ) {
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let authority = port == (secure ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
        var fields = headerFields
        fields[.upgrade] = "websocket"
        fields[.connection] = "Upgrade"
        fields[.secWebSocketKey] = key
        fields[.secWebSocketVersion] = "13"
        if let origin { fields[.origin] = origin }
        if !subprotocols.isEmpty { fields[.secWebSocketProtocol] = subprotocols.joined(separator: ", ") }
        // Offers written in `headerFields` count as offers too (a malformed field is sent as it
        // is, and offers nothing we could check an answer against).
        let written = (try? WebSocketExtensionOffer.parse(headerFields[values: .secWebSocketExtensions])) ?? []
        if !extensions.isEmpty { fields[.secWebSocketExtensions] = WebSocketExtensionOffer.headerValue(written + extensions) }
        self.key = key
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.subprotocols = subprotocols
        self.extensions = written + extensions
        self.request = HTTPRequest(method: .get, scheme: secure ? "https" : "http", authority: authority,
                                   path: target.isEmpty ? "/" : target, headerFields: fields)
    }

    /// This handshake with one more header field in its request (a trace context's
    /// `traceparent`, say), replacing a field of that name. The handshake's own fields
    /// (`Upgrade`, `Connection` and the `Sec-WebSocket-*` ones; `Host` is the request's authority) stay as they are.
    public func settingField(_ name: HTTPField.Name, to value: String) -> WebSocketClientHandshake {
        let own: [HTTPField.Name] = [.upgrade, .connection, .secWebSocketKey, .secWebSocketVersion, .secWebSocketProtocol,
                                     .secWebSocketExtensions]
        guard !own.contains(name) else { return self }
        var handshake = self
        handshake.request.headerFields[name] = value
        return handshake
    }

    /// This handshake with `offer` added after the extensions it already offers.
    public func offering(_ offer: WebSocketExtensionOffer) -> WebSocketClientHandshake {
        var handshake = self
        handshake.extensions.append(offer)
        let existing = request.headerFields[values: .secWebSocketExtensions]
        handshake.request.headerFields[.secWebSocketExtensions] = (existing + [offer.description]).joined(separator: ", ")
        return handshake
    }

    /// Checks the server's response (RFC 6455 §4.1, the client's requirements).
    ///
    /// - Returns: what was negotiated.
    /// - Throws: ``HandshakeError``: ``HandshakeError/Code/upgradeRefused`` with the response
    ///   for any status but 101 (read its body for the server's reason); otherwise for a
    ///   missing `Upgrade: websocket` or `Connection: upgrade`, a wrong
    ///   `Sec-WebSocket-Accept`, or a subprotocol or extension that was not offered.
    public func validate(_ response: HTTPResponse) throws(HandshakeError) -> Negotiated {
        let fields = response.headerFields
        guard response.status == .switchingProtocols else {
            throw .response(.upgradeRefused, "the server answered \(response.status.code) \(response.status.reasonPhrase) instead of 101", response)
        }
        guard HeaderTokens.contains(fields[values: .upgrade], "websocket") else {
            throw .response(.missingUpgrade, "the server's 101 lacks Upgrade: websocket (RFC 6455 §4.1)", response)
        }
        guard HeaderTokens.contains(fields[values: .connection], "upgrade") else {
            throw .response(.missingConnectionUpgrade, "the server's 101 lacks Connection: Upgrade (RFC 6455 §4.1)", response)
        }
        guard fields[values: .secWebSocketAccept] == [WebSocketKey.accept(for: key)] else {
            throw .response(.wrongAccept, "the server's Sec-WebSocket-Accept does not answer our key (RFC 6455 §4.1)", response)
        }
        let chosen = HeaderTokens.elements(fields[values: .secWebSocketProtocol]).map(String.init)
        guard chosen.isEmpty || (chosen.count == 1 && subprotocols.contains(chosen[0])) else {
            throw .response(.unexpectedSubprotocol,
                            "the server chose subprotocol \(chosen.joined(separator: ", ")), which we did not offer (RFC 6455 §4.1)", response)
        }
        let accepted: [WebSocketExtensionOffer]
        do throws(HandshakeError) {
            accepted = try WebSocketExtensionOffer.parse(fields[values: .secWebSocketExtensions])
        } catch {
            throw .response(.malformedExtensions, error.message, response)
        }
        if let extra = accepted.first(where: { answer in !extensions.contains { $0.name == answer.name } }) {
            throw .response(.unexpectedExtension, "the server accepted extension \(extra.name), which we did not offer (RFC 6455 §9.1)", response)
        }
        return Negotiated(subprotocol: chosen.first, extensions: accepted, response: response)
    }
}
