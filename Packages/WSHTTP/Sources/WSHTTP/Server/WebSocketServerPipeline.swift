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
///
/// Each step has two forms. The `…OnLoop` one runs at once on the connection's event loop:
/// no task is made and no thread is switched, so it is the cheapest place for work that never
/// waits (a token in the target, an origin list, a counter, joining a group). The other runs in
/// a task and may wait (a database, a token service, a loop over ``WebSocket/messages``). Leave
/// out what you do not need: a server whose every step is on the loop makes no task per
/// connection at all.
public struct WebSocketServerHandlers: Sendable {
    /// Answers a request that does not ask for a WebSocket (no `websocket` in `Upgrade`):
    /// request and body in, response and body out. One that asks for a WebSocket but is not a
    /// valid upgrade gets the upgrade's refusal (405, 400 or 426) and never reaches it.
    public var http: @Sendable (HTTPRequest, [UInt8]) async -> (HTTPResponse, [UInt8])
    /// Decides on a valid upgrade request at once, on the connection's event loop, before
    /// `shouldUpgrade`: a decision settles it, nil leaves it to `shouldUpgrade` (or accepts it,
    /// without a subprotocol, when that is nil too). It must not block: the loop's other
    /// connections wait while it runs.
    public var shouldUpgradeOnLoop: (@Sendable (WebSocketUpgradeRequest) -> WebSocketUpgradeDecision?)?
    /// Decides, in a task, on a valid upgrade request that `shouldUpgradeOnLoop` left open
    /// (authentication against a service, say), before the 101. Nil: such a request is accepted
    /// without a subprotocol.
    public var shouldUpgrade: (@Sendable (WebSocketUpgradeRequest) async -> WebSocketUpgradeDecision)?
    /// Who consumes the connection's messages.
    public var consumer: WebSocket.Consumer
    /// Runs on the connection's event loop as soon as it is live, before `upgraded`'s task
    /// starts (messages that came with the request may already have reached an event-loop
    /// consumer). It must not block.
    public var upgradedOnLoop: (@Sendable (WebSocket) -> Void)?
    /// Runs in a task once the connection is live; for an ``WebSocket/Consumer/async`` consumer
    /// the connection is closed (1000) when it returns. Nil: no task is made; an async
    /// consumer's connection is then closed (1000) at once, since nothing would read it.
    public var upgraded: (@Sendable (WebSocket) async -> Void)?
    /// Whether `upgraded` runs with the connection's event loop as its task executor
    /// (``WebSocket/taskExecutor``), so that receiving and sending need no thread switch.
    /// Default `true`. Set it to `false` for handlers that do long synchronous work, which
    /// would hold up every connection on the loop.
    public var runsOnEventLoop: Bool

    /// Creates the handlers; by default plain HTTP requests get 404, every valid upgrade is
    /// accepted without a subprotocol, and messages go to an async consumer. A trailing
    /// closure after `consumer:` is `upgraded`, as it was before the on-loop steps existed;
    /// `upgradedOnLoop` comes last so that stays true.
    public init(
        http: @escaping @Sendable (HTTPRequest, [UInt8]) async -> (HTTPResponse, [UInt8]) = { _, _ in
            (HTTPResponse(status: .notFound, headerFields: [.contentType: "text/plain; charset=utf-8"]), Array("not found\n".utf8))
        },
        shouldUpgradeOnLoop: (@Sendable (WebSocketUpgradeRequest) -> WebSocketUpgradeDecision?)? = nil,
        shouldUpgrade: (@Sendable (WebSocketUpgradeRequest) async -> WebSocketUpgradeDecision)? = nil,
        consumer: WebSocket.Consumer = .async,
        runsOnEventLoop: Bool = true,
        upgraded: (@Sendable (WebSocket) async -> Void)? = nil,
        upgradedOnLoop: (@Sendable (WebSocket) -> Void)? = nil
    ) {
        self.http = http
        self.shouldUpgradeOnLoop = shouldUpgradeOnLoop
        self.shouldUpgrade = shouldUpgrade
        self.consumer = consumer
        self.runsOnEventLoop = runsOnEventLoop
        self.upgradedOnLoop = upgradedOnLoop
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
