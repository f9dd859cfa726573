public import HTTPTypes
public import Logging
public import NIOCore
public import WSHandshake

/// What the server side of one opening handshake agreed, before the 101 is sent: the checked
/// request, the subprotocol, permessage-deflate's parameters and the 101 response that says
/// so. Every server path of this library agrees through it (its own pipeline, SwiftNIO's
/// upgrader, the Hummingbird and Vapor adapters), so each rule is decided once.
///
/// ```swift
/// let upgrade = try WebSocketUpgradeRequest(validating: request)        // 400/426 on a bad request
/// let agreement = WebSocketServerAgreement(upgrade, subprotocols: ["chat.v2"], configuration: configuration)
/// // … write agreement.response (the 101), remove the HTTP handlers, then:
/// let webSocket = try agreement.adopt(channel, configuration: configuration, logger: logger)
/// ```
public struct WebSocketServerAgreement: Sendable {
    /// The checked upgrade request.
    public let upgrade: WebSocketUpgradeRequest
    /// The 101 Switching Protocols response, with `Sec-WebSocket-Accept`, the subprotocol and
    /// the extensions agreed, and any fields the server added.
    public let response: HTTPResponse
    /// The subprotocol agreed, if any.
    public let subprotocol: String?
    /// permessage-deflate's parameters, when the connection compresses.
    public let deflate: DeflateSettings?

    /// Agrees on a checked request.
    ///
    /// - Parameters:
    ///   - upgrade: the request, checked by WSHandshake's `WebSocketUpgradeRequest(validating:httpVersion:)`.
    ///   - subprotocols: the subprotocols the server speaks, in its order of preference: the
    ///     connection gets the first that the client offered, or none.
    ///   - headerFields: more fields for the 101, such as `Set-Cookie`. When they hold
    ///     `Sec-WebSocket-Extensions`, the server answered the extensions itself and
    ///     permessage-deflate is not negotiated.
    ///   - configuration: the connection's configuration, whose ``WebSocket/Configuration/deflate``
    ///     policy answers the client's permessage-deflate offers.
    public init(_ upgrade: WebSocketUpgradeRequest, subprotocols: [String] = [], headerFields: HTTPFields = [:],
                configuration: WebSocket.Configuration) {
        self.init(upgrade, subprotocol: upgrade.subprotocol(choosingFrom: subprotocols), headerFields: headerFields,
                  configuration: configuration)
    }

    /// Agrees on a checked request with a subprotocol chosen by the server's own code; one the
    /// client did not offer is left out of the answer.
    public init(_ upgrade: WebSocketUpgradeRequest, subprotocol: String?, headerFields: HTTPFields = [:],
                configuration: WebSocket.Configuration) {
        let chosen = subprotocol.flatMap { upgrade.subprotocols.contains($0) ? $0 : nil }
        let deflate = headerFields[.secWebSocketExtensions] == nil
            ? configuration.deflate.flatMap { DeflateNegotiation.accept(upgrade.extensions, policy: $0.serverPolicy) } : nil
        self.upgrade = upgrade
        self.subprotocol = chosen
        self.deflate = deflate?.settings
        self.response = upgrade.acceptResponse(subprotocol: chosen, extensions: deflate.map { [$0.response] } ?? [],
                                               headerFields: headerFields)
    }

    /// The facts of the handshake, as the live ``WebSocket`` reports them
    /// (``WebSocket/handshake``).
    public var handshake: WebSocket.Handshake {
        WebSocket.Handshake(
            target: upgrade.target, requestFields: upgrade.request.headerFields, responseFields: response.headerFields,
            subprotocol: subprotocol, extensions: response.headerFields[.secWebSocketExtensions], deflate: deflate)
    }

    /// Runs the live connection on `channel`, once the 101 has been written and the HTTP
    /// handlers are gone: ``WebSocket/adopt(_:role:handshake:configuration:consumer:logger:)``
    /// with this handshake.
    public func adopt(_ channel: any Channel, configuration: WebSocket.Configuration, consumer: WebSocket.Consumer = .async,
                      logger: Logger) throws -> WebSocket {
        try WebSocket.adopt(channel, role: .server, handshake: handshake, configuration: configuration, consumer: consumer,
                            logger: logger)
    }
}
