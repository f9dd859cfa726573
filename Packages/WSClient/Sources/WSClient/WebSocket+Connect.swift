public import Logging
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@_spi(WSInternal) public import WSHTTP

/// What a client connects with: headers, subprotocols, timeouts, TLS and the connection's own
/// limits. The defaults suit a client on the open internet.
public struct WebSocketClientConfiguration: Sendable {
    /// More request fields: `Authorization`, cookies, …
    public var headerFields: HTTPFields
    /// An `Origin` to send, as a browser would. Default: none.
    public var origin: String?
    /// Subprotocols offered, in order of preference.
    public var subprotocols: [String]
    /// The most time the TCP connection may take. Default 10 s.
    public var connectTimeout: Duration
    /// The most time the TLS and WebSocket handshakes may take together. Default 10 s.
    public var handshakeTimeout: Duration
    /// How a `wss` server is checked; by default against the system's trust store and the
    /// URL's host. Made into a context once per configuration value's first use.
    public var tls: TLSClientConfiguration
    /// The live connection's limits and timeouts (message size, auto-ping, close timeout, …).
    public var webSocket: WebSocket.Configuration
    /// Which HTTP proxy to tunnel through. Default: the environment's (`https_proxy` for wss,
    /// `http_proxy` for ws, unless `no_proxy` names the host).
    public var proxy: ProxyChoice

    /// Which HTTP proxy a client goes through.
    public enum ProxyChoice: Sendable, Hashable {
        /// The environment's `http_proxy`, `https_proxy` and `no_proxy` (either case).
        case environment
        /// No proxy, whatever the environment says.
        case direct
        /// This proxy, for every URL.
        case proxy(HTTPProxy)
    }

    /// The defaults named on each property.
    public init(headerFields: HTTPFields = [:], origin: String? = nil, subprotocols: [String] = [],
                connectTimeout: Duration = .seconds(10), handshakeTimeout: Duration = .seconds(10),
                tls: TLSClientConfiguration = TLSClientConfiguration(), webSocket: WebSocket.Configuration = .default,
                proxy: ProxyChoice = .environment) {
        self.proxy = proxy
        self.headerFields = headerFields
        self.origin = origin
        self.subprotocols = subprotocols
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
        self.tls = tls
        self.webSocket = webSocket
    }
}

/// Connecting to a server by URL: the scoped form, which closes the connection for you, and
/// the one that returns it open.
extension WebSocket {
    /// Connects to `url` and runs `body` with the connection; when `body` returns or throws, the
    /// connection is closed (1000) and the TCP connection with it: WebSockets.jl's
    /// `WebSockets.open(url) do ws … end`.
    ///
    /// ```swift
    /// let reply = try await WebSocket.connect(to: "wss://echo.example/chat") { ws in
    ///     try await ws.send(text: "hello")
    ///     return try await ws.receive()
    /// }
    /// ```
    ///
    /// - Throws: ``WebSocketClientError`` (bad URL, connection failed, timeouts), or
    ///   `WebSocketError` for a refused upgrade (`.upgradeRefused`, with the server's response
    ///   and body), a refused certificate (`.tlsFailed`, with the `TLSError`) or another
    ///   handshake failure; and whatever `body` throws.
    public static func connect<Result: Sendable>(
        to url: String, configuration: WebSocketClientConfiguration = .init(), tls context: TLSClientContext? = nil,
        logger: Logger = Logger(label: "WSConnect"), _ body: (WebSocket) async throws -> Result
    ) async throws -> Result {
        let webSocket = try await connect(to: url, configuration: configuration, tls: context, logger: logger)
        do {
            let result = try await body(webSocket)
            _ = await webSocket.close()
            return result
        } catch {
            _ = await webSocket.close()
            throw error
        }
    }

    /// Connects to `url` and returns the open connection; closing it is the caller's.
    ///
    /// - Parameters:
    ///   - url: `ws://host[:port]/path?query` or `wss://…`; an IPv6 host in brackets.
    ///   - configuration: the request's fields and subprotocols, timeouts, TLS verification
    ///     and the live connection's limits; the defaults unless given.
    ///   - context: a TLS context to use for `wss` instead of one made from
    ///     `configuration.tls` (make one and share it across connections: loading a trust store
    ///     takes milliseconds).
    ///   - logger: where the connection logs; one labelled `WSConnect` unless given.
    /// - Throws: as ``connect(to:configuration:tls:logger:_:)``.
    public static func connect(
        to url: String, configuration: WebSocketClientConfiguration = .init(), tls context: TLSClientContext? = nil,
        logger: Logger = Logger(label: "WSConnect")
    ) async throws -> WebSocket {
        let instruments = configuration.webSocket.metrics.resolved
        let start = ContinuousClock.now
        do {
            let webSocket = try await open(url, configuration: configuration, tls: context, logger: logger)
            instruments?.clientConnected(after: start.duration(to: .now))
            return webSocket
        } catch {
            instruments?.clientFailed(Self.failureStage(error))
            throw error
        }
    }

    /// The ``WebSocketMetrics/Name/clientConnectFailures`` stage of a failure to connect.
    static func failureStage(_ error: any Error) -> String {
        if let error = error as? WebSocketClientError {
            switch error.code {
            case .invalidURL: return "invalid_url"
            case .connectTimeout: return "connect_timeout"
            case .proxyFailed: return "proxy"
            case .handshakeTimeout: return "handshake_timeout"
            default: return "connect"
            }
        }
        if let error = error as? WebSocketError {
            switch error.code {
            case .tlsFailed: return "tls"
            case .upgradeRefused: return "upgrade_refused"
            default: return "handshake"
            }
        }
        // The TLS context could not be made from the configuration.
        return error is TLSError ? "tls" : "handshake"
    }

    private static func open(
        _ url: String, configuration: WebSocketClientConfiguration, tls context: TLSClientContext?, logger: Logger
    ) async throws -> WebSocket {
        let target = try WebSocketURL(url)
        let tls: TLSClientContext? = target.secure ? try (context ?? TLSClientContext(configuration.tls, logger: logger)) : nil
        let handshake = WebSocketClientHandshake(
            target: target.target, host: target.host, port: target.port, secure: target.secure, origin: configuration.origin,
            subprotocols: configuration.subprotocols, headerFields: configuration.headerFields)
        let proxy: HTTPProxy? = switch configuration.proxy {
        case .environment: HTTPProxy.fromEnvironment(for: target, environment: ProcessEnvironment.variables())
        case .direct: nil
        case .proxy(let proxy): proxy
        }
        let (peerHost, peerPort) = proxy.map { ($0.host, $0.port) } ?? (target.host, target.port)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: peerHost, port: peerPort).get()
        } catch ChannelError.connectTimeout {
            throw WebSocketClientError(.connectTimeout, "no TCP connection to \(peerHost):\(peerPort) within \(configuration.connectTimeout)")
        } catch let error as NIOConnectionError {
            // The first attempt's reason ("Connection refused"), or the name lookup's.
            let cause = error.connectionErrors.first.map { "\($0.error)" }
                ?? (error.dnsAError ?? error.dnsAAAAError).map { "no such host (\($0))" } ?? "\(error)"
            throw WebSocketClientError(.connectFailed, "could not connect to \(peerHost):\(peerPort)\(proxy == nil ? "" : " (the proxy)"): \(cause)")
        } catch {
            throw WebSocketClientError(.connectFailed, "could not connect to \(peerHost):\(peerPort)\(proxy == nil ? "" : " (the proxy)"): \(error)")
        }
        let timeout = configuration.handshakeTimeout
        let timedOut = TimeoutFlag()
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            timedOut.fired.store(true, ordering: .relaxed)
            channel.close(promise: nil)
        }
        do {
            if let proxy {
                let tunnel = channel.eventLoop.makePromise(of: Void.self)
                try await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.addHandler(ProxyConnectHandler(target: target, proxy: proxy, promise: tunnel))
                }.get()
                try await tunnel.futureResult.get()
            }
            let upgrade = channel.configureWebSocketClientPipeline(handshake: handshake, tls: tls.map { WebSocketTLS.openSSL($0) }, configuration: configuration.webSocket,
                                                                   logger: logger)
            let webSocket = try await upgrade.get()
            timer.cancel()
            return webSocket
        } catch {
            timer.cancel()
            channel.close(promise: nil)  // whatever failed, the connection is of no more use
            if timedOut.fired.load(ordering: .relaxed) {
                throw WebSocketClientError(.handshakeTimeout, "the handshake with \(target) did not finish within \(timeout)")
            }
            throw error
        }
    }
}

/// Set when the handshake timer closed the channel.
private final class TimeoutFlag: Sendable {
    let fired = Atomic<Bool>(false)
}

/// The process's environment variables.
enum ProcessEnvironment {
    static func variables() -> [String: String] {
        var variables: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return variables
    }
}
