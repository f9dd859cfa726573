public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import Synchronization
import UnixSignals
@_spi(WSInternal) public import WSHTTP

/// An HTTP handler and a WebSocket handler on one port, plain or TLS, IPv4 or IPv6: WebSockets.jl's
/// `ServerWS`, with its options all working and its gatekeeping before the 101.
///
/// ```swift
/// let server = WebSocketServer(host: "0.0.0.0", port: 8080, handlers: WebSocketServerHandlers(
///     http: { request, _ in (HTTPResponse(status: .ok), Array("hello\n".utf8)) },
///     upgraded: { webSocket in
///         for await message in webSocket.messages { try? await webSocket.send(message) }
///     }))
/// try await server.run()          // until shutdown(), task cancellation, or SIGTERM in a ServiceGroup
/// ```
///
/// Gatekeeping runs in this order, each before the next: the connection filter (before a
/// byte is read), the cap on pending connections (at accept: the oldest connection that has
/// not upgraded is dropped to make room), TLS, the handshake timeout, the HTTP checks of the
/// upgrade (RFC 6455), the origin allow-list (403), the connection rate of the address (429),
/// the connection limit (503), then `handlers.shouldUpgrade`.
public final class WebSocketServer: Service, Sendable {
    /// The address asked for.
    public let host: String
    /// The port asked for; 0 for a free one (``localAddress`` says which).
    public let port: Int
    /// The options in force.
    public let configuration: Configuration
    /// The TLS context of a `wss` server; nil for plain TCP.
    public let tls: TLSServerContext?
    private let handlers: WebSocketServerHandlers
    private let logger: Logger
    private let group: any EventLoopGroup
    private let registry = ConnectionRegistry()
    private let connectionRate: ClientRateLimiter?
    private let listener = Mutex<(any Channel)?>(nil)
    private let stopped: EventLoopPromise<Void>
    private let errorContinuation: AsyncStream<ConnectionError>.Continuation
    /// Where accepted and refused connections are counted; nil when nothing is recorded.
    private let instruments: MetricsInstruments?

    /// What went wrong on connections, as it happens (WebSockets.jl's `.out` channel), besides the
    /// log: TLS failures, socket errors, WebSockets that ended badly (any outcome but a clean
    /// 1000 or 1001). (A request that is not HTTP gets its 400 and a log line.) Keeps the newest 1,000 unread; ends when the server has shut down.
    /// Read it from one task.
    public let errors: AsyncStream<ConnectionError>

    /// A server, not yet listening: ``run()`` or ``start()`` binds it.
    ///
    /// - Parameters:
    ///   - host: the address to listen on: `127.0.0.1` (the default), `0.0.0.0`, `::1`, `::`.
    ///   - port: the port, 0 for a free one.
    ///   - configuration: the limits, timeouts and gatekeeping; ``Configuration/default`` unless given.
    ///   - tls: serve `wss` and HTTPS with this context.
    ///   - group: the event loops; by default NIO's shared one, a loop per core.
    ///   - logger: where the server and its connections log; one labelled `WSServer` unless given.
    ///   - handlers: plain HTTP requests, the decision on upgrades, the live connections.
    public init(host: String = "127.0.0.1", port: Int = 8080, configuration: Configuration = .default,
                tls: TLSServerContext? = nil, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "WSServer"), handlers: WebSocketServerHandlers) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.tls = tls
        self.group = group
        self.logger = logger
        self.handlers = handlers
        stopped = group.any().makePromise(of: Void.self)
        connectionRate = configuration.connectionRateLimit.map { ClientRateLimiter($0) }
        instruments = configuration.webSocket.metrics.resolved
        (errors, errorContinuation) = AsyncStream.makeStream(of: ConnectionError.self, bufferingPolicy: .bufferingNewest(1000))
    }

    /// The address the server listens on, once started.
    public var localAddress: SocketAddress? { listener.withLock { $0?.localAddress } }
    /// The port the server listens on, once started: the one the system picked when ``port`` was 0.
    public var listeningPort: Int? { localAddress?.port }
    /// The TCP connections open now (HTTP, upgrading and WebSocket), exact under churn.
    public var connectionCount: Int { registry.connectionCount }
    /// The WebSocket connections open now.
    public var webSocketCount: Int { registry.webSocketCount }
    /// The connections accepted and not upgraded: TLS and HTTP handshakes in progress, upgrades
    /// being decided, and plain HTTP connections kept alive between requests. Never more than
    /// `configuration.maxPendingConnections`: a connection dropped to make room no longer
    /// counts here, though it counts in ``connectionCount`` until its socket is closed.
    public var pendingConnectionCount: Int { registry.pendingCount }

    /// Binds and starts accepting; returns once the server listens.
    /// - Throws: NIO's error when the address cannot be bound (in use, not local, …).
    public func start() async throws {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .serverChannelInitializer { [registry, configuration, instruments, logger] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AcceptGate(registry: registry, configuration: configuration, instruments: instruments, logger: logger))
                }
            }
            .childChannelInitializer { [self] channel in accept(channel) }
            .bind(host: host, port: port).get()
        listener.withLock { $0 = channel }
        // One timer for every connection's handshake deadline; it ends with the listener.
        let interval = Self.sweepInterval(for: configuration.handshakeTimeout)
        let sweep = channel.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [registry, instruments] _ in
            for expired in registry.expired(at: .now()) {
                instruments?.refused("handshake_timeout")
                expired.close(promise: nil)
            }
        }
        channel.closeFuture.whenComplete { _ in sweep.cancel() }
        logger.info("listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")",
                                            "tls": "\(tls != nil)"])
    }

    /// Serves until ``shutdown()`` is called, the task is cancelled, or, inside a
    /// `ServiceGroup`, a graceful shutdown begins (SIGTERM or SIGINT, as the group is set);
    /// the last two shut the server down gracefully, as ``shutdown()`` does.
    public func run() async throws {
        if listener.withLock({ $0 == nil }) { try await start() }
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await stopped.futureResult.get()
        } onCancelOrGracefulShutdown: {
            Task { await self.shutdown() }
        }
    }

    /// Serves `handlers` on `host`:`port` until the process is asked to stop (SIGTERM or
    /// SIGINT), then shuts down gracefully: the one call of WebSockets.jl's `serve(server, port)`.
    public static func serve(host: String = "127.0.0.1", port: Int = 8080, configuration: Configuration = .default,
                             tls: TLSServerContext? = nil, logger: Logger = Logger(label: "WSServer"),
                             handlers: WebSocketServerHandlers) async throws {
        let server = WebSocketServer(host: host, port: port, configuration: configuration, tls: tls, logger: logger,
                                     handlers: handlers)
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }

    /// Stops accepting, sends every WebSocket client a Close with 1001 (going away), waits up to
    /// `configuration.shutdownTimeout` for their answers, then closes whatever is left, plain
    /// HTTP connections included. Handlers see their connection end with 1001. Calling it again
    /// waits for the first call's end.
    public func shutdown() async {
        let channel = listener.withLock { $0 }
        try? await channel?.close()
        let (webSockets, others) = registry.stopAccepting()
        logger.info("shutting down", metadata: ["webSockets": "\(webSockets.count)", "other": "\(others.count)"])
        for other in others { other.close(promise: nil) }
        let timeout = configuration.shutdownTimeout
        // Each connection sends its 1001 and closes TCP when the answer comes, or after `timeout`.
        let request = WebSocket.CloseRequest(code: .goingAway, reason: "server shutting down", timeout: timeout)
        for channel in webSockets { channel.triggerUserOutboundEvent(request, promise: nil) }
        let deadline = ContinuousClock.now + timeout + .seconds(1)
        for channel in webSockets {
            while channel.isActive, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        }
        for leftover in registry.openChannels { try? await leftover.close() }
        errorContinuation.finish()
        stopped.succeed()
    }

    /// How often the handshake deadlines are swept: a tenth of the timeout, from 10 ms to
    /// 250 ms, so a connection is cut off at most that much after its deadline.
    static func sweepInterval(for timeout: Duration) -> TimeAmount {
        let tenth = TimeAmount(timeout).nanoseconds / 10
        return .nanoseconds(min(max(tenth, 10_000_000), 250_000_000))
    }

    // MARK: Each connection

    /// Sets up an accepted connection, which ``AcceptGate`` has counted (and filtered), on
    /// its event loop: the pipeline with this server's gatekeeping around the user's handlers.
    /// Its handshake deadline is the registry's, swept by the one timer `start()` made.
    private func accept(_ channel: any Channel) -> EventLoopFuture<Void> {
        // Dropped (and closed) before it got here.
        guard let id = registry.id(of: channel) else { return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        let connection = ConnectionState()
        channel.closeFuture.whenComplete { [registry] _ in
            if connection.holdsSlot.exchange(false, ordering: .relaxed) { registry.releaseSlot() }
        }
        let continuation = errorContinuation
        // The address as text only when a rate is kept per address (formatting it costs).
        let client = connectionRate == nil ? "" : channel.remoteAddress?.ipAddress ?? "?"
        let handlers = gatekept(id: id, connection: connection, client: client)
        let tls = tls.map { WebSocketTLS.openSSL($0) }
        return channel.eventLoop.makeCompletedFuture { [configuration, logger] in
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureWebSocketServerPipeline(
                tls: tls, configuration: configuration.webSocket, maxRequestBodySize: configuration.maxRequestBodySize,
                logger: logger, handlers: handlers)
            // Right behind TLS (or first): it sees TLS and socket errors, before and after the upgrade.
            let tap = ErrorTap { continuation.yield($0) }
            if tls != nil, let tlsHandler = try? pipeline.handler(type: TLSHandler.self) {
                try pipeline.addHandler(tap, position: .after(tlsHandler))
            } else {
                try pipeline.addHandler(tap, position: .first)
            }
        }
    }

    /// The user's handlers behind the origin check, the connection limit and the subprotocol
    /// list. The server's own checks run on the event loop; when the user's decision does too
    /// (or there is none), the whole decision does, with no task per connection.
    private func gatekept(id: Int, connection: ConnectionState, client: String) -> WebSocketServerHandlers {
        let user = handlers
        let configuration = configuration
        let registry = registry
        let connectionRate = connectionRate
        var gatekept = user
        // The server's refusals; nil when the request passes them, and then it holds a slot.
        let admit: @Sendable (WebSocketUpgradeRequest) -> WebSocketUpgradeDecision? = { upgrade in
            if let allowed = configuration.allowedOrigins, let origin = upgrade.origin, !allowed.contains(origin) {
                return .refuse(HTTPResponse(status: .forbidden, headerFields: [.contentType: "text/plain; charset=utf-8"]),
                               body: Array("origin \(origin) is not allowed\n".utf8))
            }
            if let wait = connectionRate?.take(client) {
                let seconds = wait.isFinite ? max(1, Int(wait.rounded(.up))) : 3600
                return .refuse(HTTPResponse(status: .tooManyRequests,
                                            headerFields: [.contentType: "text/plain; charset=utf-8", .retryAfter: "\(seconds)"]),
                               body: Array("too many new connections from \(client); retry in \(seconds) s\n".utf8))
            }
            guard registry.takeSlot(limit: configuration.maxConnections) else {
                return .refuse(HTTPResponse(status: .serviceUnavailable,
                                            headerFields: [.contentType: "text/plain; charset=utf-8", .retryAfter: "1"]),
                               body: Array("the server is at its connection limit\n".utf8))
            }
            connection.holdsSlot.store(true, ordering: .relaxed)
            return nil
        }
        // The user's decision on a request that passed: a refusal gives the slot back, and
        // while it is decided, the connection is dropped for a newer one only if none is older
        // in its handshake; refused, it is an HTTP connection again.
        let settle: @Sendable (WebSocketUpgradeRequest, WebSocketUpgradeDecision) -> WebSocketUpgradeDecision = { upgrade, decision in
            switch decision {
            case .refuse:
                if connection.holdsSlot.exchange(false, ordering: .relaxed) { registry.releaseSlot() }
                registry.requestRefused(id)
                return decision
            case .accept(let subprotocol, let headerFields):
                registry.upgradeAccepted(id) // the handshake deadline no longer applies
                guard subprotocol == nil, !configuration.subprotocols.isEmpty else { return decision }
                return .accept(subprotocol: upgrade.subprotocol(choosingFrom: configuration.subprotocols), headerFields: headerFields)
            }
        }
        gatekept.shouldUpgradeOnLoop = { upgrade in
            registry.requested(id)
            if let refusal = admit(upgrade) {
                registry.requestRefused(id)
                return refusal
            }
            if let decision = user.shouldUpgradeOnLoop?(upgrade) { return settle(upgrade, decision) }
            return user.shouldUpgrade == nil ? settle(upgrade, .accept()) : nil
        }
        if let decide = user.shouldUpgrade {
            gatekept.shouldUpgrade = { @Sendable upgrade in settle(upgrade, await decide(upgrade)) }
        }
        let continuation = errorContinuation
        gatekept.upgradedOnLoop = { webSocket in
            registry.upgraded(id)
            // A callback that keeps nothing of the WebSocket: an idle connection costs less.
            let remote = webSocket.handshake.remoteAddress
            webSocket.whenClosed { outcome in
                guard !outcome.wasClean || (outcome.code != .normalClosure && outcome.code != .goingAway) else { return }
                continuation.yield(.init(kind: .webSocket, remoteAddress: remote, message: "the WebSocket ended with \(outcome)",
                                         outcome: outcome, error: nil))
            }
            user.upgradedOnLoop?(webSocket)
        }
        return gatekept
    }
}

/// What the server knows of one connection.
private final class ConnectionState: Sendable {
    /// The connection holds one of `maxConnections` slots.
    let holdsSlot = Atomic<Bool>(false)
}
