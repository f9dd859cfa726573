public import HTTPTypes
public import Logging
public import NIOCore
import NIOHTTP1
public import WSHandshake

/// What a server does with a valid upgrade request.
public enum WebSocketUpgradeDecision: Sendable {
    /// Accept, with a subprotocol the client offered (or none) and more response fields.
    case accept(subprotocol: String? = nil, headerFields: HTTPFields = [:])
    /// Refuse with any response, before the 101: 401 with `WWW-Authenticate`, 403, 429…
    case refuse(HTTPResponse, body: [UInt8] = [])
}

/// How a server answers each request on a connection: plain HTTP requests, the decision on
/// upgrades, and what runs on an upgraded connection.
public struct WebSocketServerHandlers: Sendable {
    /// Answers a request that does not ask for a WebSocket (no `websocket` in `Upgrade`):
    /// request and body in, response and body out. One that asks for a WebSocket but is not a
    /// valid upgrade gets the upgrade's refusal (405, 400 or 426) and never reaches it.
    public var http: @Sendable (HTTPRequest, [UInt8]) async -> (HTTPResponse, [UInt8])
    /// Decides on a valid upgrade request (authentication, origin checks), before the 101.
    public var shouldUpgrade: @Sendable (WebSocketUpgradeRequest) async -> WebSocketUpgradeDecision
    /// Who consumes the connection's messages.
    public var consumer: WebSocket.Consumer
    /// Runs once the connection is live; for an ``WebSocket/Consumer/async`` consumer the
    /// connection is closed (1000) when it returns.
    public var upgraded: @Sendable (WebSocket) async -> Void
    /// Whether `upgraded` runs with the connection's event loop as its task executor
    /// (``WebSocket/taskExecutor``), so that receiving and sending need no thread switch.
    /// Default `true`. Set it to `false` for handlers that do long synchronous work, which
    /// would hold up every connection on the loop.
    public var runsOnEventLoop: Bool

    /// Creates the handlers; by default plain HTTP requests get 404, every valid upgrade is
    /// accepted without a subprotocol, and messages go to an async consumer.
    public init(
        http: @escaping @Sendable (HTTPRequest, [UInt8]) async -> (HTTPResponse, [UInt8]) = { _, _ in
            (HTTPResponse(status: .notFound, headerFields: [.contentType: "text/plain; charset=utf-8"]), Array("not found\n".utf8))
        },
        shouldUpgrade: @escaping @Sendable (WebSocketUpgradeRequest) async -> WebSocketUpgradeDecision = { _ in .accept() },
        consumer: WebSocket.Consumer = .async,
        runsOnEventLoop: Bool = true,
        upgraded: @escaping @Sendable (WebSocket) async -> Void
    ) {
        self.http = http
        self.shouldUpgrade = shouldUpgrade
        self.consumer = consumer
        self.runsOnEventLoop = runsOnEventLoop
        self.upgraded = upgraded
    }
}

/// Making a SwiftNIO channel a WebSocket: a server's pipeline, which serves HTTP and upgrades,
/// and a client's, which sends the upgrade request.
extension Channel {
    /// Makes this accepted connection serve HTTP and WebSockets: an HTTP/1.1 pipeline whose
    /// upgrade handler checks upgrades (RFC 6455 §4.2.1), asks `handlers.shouldUpgrade`,
    /// writes the 101 and puts the live connection in place of the HTTP handlers, without
    /// losing bytes that came right behind the request. A request whose `Upgrade` holds
    /// `websocket` but that is not a valid upgrade gets the RFC's refusal (405 with
    /// `Allow: GET`, 400, or 426 with `Sec-WebSocket-Version: 13`) and the connection closes.
    /// Other requests go to `handlers.http`.
    ///
    /// Call it from your own `ServerBootstrap`'s `childChannelInitializer` to upgrade
    /// connections in a listen loop of your own.
    ///
    /// - Parameters:
    ///   - tls: serve `wss` (HTTPS and WebSockets over TLS): its handler goes first in the
    ///     pipeline (with WSTLS, `.openSSL(context)`; or any NIO TLS handler), everything
    ///     after it is unchanged. Nil for plain TCP.
    ///   - configuration: the live connection's limits and timeouts.
    ///   - maxRequestBodySize: the largest body of a plain HTTP request (413 beyond). Default 1 MiB.
    ///   - logger: where the connection logs (refused upgrades at notice, lifecycle at debug).
    ///   - handlers: what to do with requests and connections.
    public func configureWebSocketServerPipeline(
        tls: WebSocketTLS? = nil, configuration: WebSocket.Configuration = .default, maxRequestBodySize: Int = 1 << 20,
        logger: Logger, handlers: WebSocketServerHandlers
    ) -> EventLoopFuture<Void> {
        let configure = { @Sendable in
            try self.pipeline.syncOperations.configureWebSocketServerPipeline(
                tls: tls, configuration: configuration, maxRequestBodySize: maxRequestBodySize, logger: logger,
                handlers: handlers)
        }
        return eventLoop.inEventLoop ? eventLoop.makeCompletedFuture(withResultOf: configure) : eventLoop.submit(configure)
    }
}

/// The server pipeline, set up from code that already runs on the channel's event loop.
extension ChannelPipeline.SynchronousOperations {
    /// ``NIOCore/Channel/configureWebSocketServerPipeline(tls:configuration:maxRequestBodySize:logger:handlers:)``,
    /// on the event loop.
    public func configureWebSocketServerPipeline(
        tls: WebSocketTLS? = nil, configuration: WebSocket.Configuration = .default, maxRequestBodySize: Int = 1 << 20,
        logger: Logger, handlers: WebSocketServerHandlers
    ) throws {
        if let tls { try addHandler(tls.makeHandler(nil)) }
        let encoder = HTTPResponseEncoder()
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        let upgrader = WebSocketServerUpgradeHandler(
            tls: tls, configuration: configuration, maxRequestBodySize: maxRequestBodySize, logger: logger, handlers: handlers,
            encoder: encoder, decoder: decoder)
        try addHandlers([encoder, decoder, upgrader])
    }
}
