import ArgumentParser
import WSServer

/// The server's limits as `serve`'s flags. Each default is the library's own
/// (`WebSocketServer.Configuration()`), so `--help` shows what a server gets when nothing is set;
/// a flag without a value in `--help` (the rates, the idle timeout) leaves the library's
/// default, none, when it is not given.
struct ServeLimits: ParsableArguments {
    private static let defaults = WebSocketServer.Configuration()

    @Option(name: .customLong("max-connections"),
            help: ArgumentHelp("The most WebSocket connections at once; an upgrade over it gets 503 with Retry-After.", valueName: "count"))
    var maxConnections = Self.defaults.maxConnections

    @Option(name: .customLong("max-pending-connections"),
            help: ArgumentHelp("""
                The most connections that have not upgraded (handshakes in progress, HTTP keep-alive); \
                when full, a new connection drops the oldest of them.
                """, valueName: "count"))
    var maxPendingConnections = Self.defaults.maxPendingConnections

    @Option(name: .customLong("handshake-timeout"),
            help: ArgumentHelp("How long a connection may take from accept to its 101; plain HTTP connections close this long after accept.",
                               valueName: "seconds"))
    var handshakeTimeout = Seconds(Self.defaults.handshakeTimeout)

    @Option(name: .customLong("idle-timeout"),
            help: ArgumentHelp("Close a WebSocket with 1001 after this long without an inbound byte (default: none)", valueName: "seconds"))
    var idleTimeout: Seconds?

    @Option(name: .customLong("max-outbound-bytes"),
            help: ArgumentHelp("Bytes queued for a slow client above which sends wait (outbound backpressure).", valueName: "bytes"))
    var maxOutboundBytes = Self.defaults.webSocket.maxBufferedOutboundBytes

    @Option(name: .customLong("message-rate"),
            help: ArgumentHelp("Messages per second per connection; over it, a Close with 1008 (default: no limit)", valueName: "per-second"))
    var messageRate: Double?

    @Option(name: .customLong("message-burst"),
            help: ArgumentHelp("The messages a connection may send at once with --message-rate (default: one second's worth).", valueName: "count"))
    var messageBurst: Int?

    @Option(name: .customLong("connection-rate"),
            help: ArgumentHelp("New WebSocket connections per second per client address; over it, 429 with Retry-After (default: no limit)",
                               valueName: "per-second"))
    var connectionRate: Double?

    @Option(name: .customLong("connection-burst"),
            help: ArgumentHelp("The new connections an address may open at once with --connection-rate (default: one second's worth).",
                               valueName: "count"))
    var connectionBurst: Int?

    @Option(name: .customLong("close-timeout"),
            help: ArgumentHelp("How long a closing WebSocket waits for the peer's Close before it closes the TCP connection.",
                               valueName: "seconds"))
    var closeTimeout = Seconds(Self.defaults.webSocket.closeTimeout)

    @Option(name: .customLong("ping-interval"),
            help: ArgumentHelp("Ping a WebSocket after this long without an inbound byte; 0 turns keepalive off.", valueName: "seconds"))
    var pingInterval = Self.defaultKeepalive.interval

    @Option(name: .customLong("ping-timeout"),
            help: ArgumentHelp("With --ping-interval, how long the Pong may take before the connection is closed (1011).",
                               valueName: "seconds"))
    var pingTimeout = Self.defaultKeepalive.timeout

    /// The library's keepalive as two flags: an interval of 0 when it is off.
    private static var defaultKeepalive: (interval: Seconds, timeout: Seconds) {
        switch defaults.webSocket.autoPing {
        case .every(let interval, let timeout): (Seconds(interval), Seconds(timeout))
        case .disabled: (Seconds(.zero), Seconds(defaults.webSocket.pingTimeout))
        }
    }

    func validate() throws {
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1, not \(maxConnections)") }
        guard maxPendingConnections >= 1 else {
            throw ValidationError("--max-pending-connections must be at least 1, not \(maxPendingConnections)")
        }
        try handshakeTimeout.check("--handshake-timeout")
        try idleTimeout?.check("--idle-timeout")
        guard maxOutboundBytes >= 1 else { throw ValidationError("--max-outbound-bytes must be at least 1, not \(maxOutboundBytes)") }
        try Self.checkRate(messageRate, "--message-rate", burst: messageBurst, "--message-burst")
        try Self.checkRate(connectionRate, "--connection-rate", burst: connectionBurst, "--connection-burst")
        try closeTimeout.check("--close-timeout")
        try pingInterval.check("--ping-interval", allowsZero: true)
        if pingInterval.value > 0 { try pingTimeout.check("--ping-timeout", hint: " (--ping-interval 0 turns keepalive off)") }
    }

    private static func checkRate(_ rate: Double?, _ rateFlag: String, burst: Int?, _ burstFlag: String) throws {
        if let rate {
            guard rate > 0, rate.isFinite else { throw ValidationError("\(rateFlag) must be a number more than 0, not \(rate)") }
        }
        if let burst {
            guard rate != nil else { throw ValidationError("\(burstFlag) needs \(rateFlag)") }
            guard burst >= 1 else { throw ValidationError("\(burstFlag) must be at least 1, not \(burst)") }
        }
    }

    /// Sets these limits on `configuration`.
    func apply(to configuration: inout WebSocketServer.Configuration) {
        configuration.maxConnections = maxConnections
        configuration.maxPendingConnections = maxPendingConnections
        configuration.handshakeTimeout = handshakeTimeout.duration
        if let idleTimeout { configuration.webSocket.idleTimeout = idleTimeout.duration }
        configuration.webSocket.maxBufferedOutboundBytes = maxOutboundBytes
        if let messageRate { configuration.messageRateLimit = RateLimit(perSecond: messageRate, burst: messageBurst ?? Self.oneSecond(of: messageRate)) }
        if let connectionRate {
            configuration.connectionRateLimit = RateLimit(perSecond: connectionRate, burst: connectionBurst ?? Self.oneSecond(of: connectionRate))
        }
        configuration.webSocket.closeTimeout = closeTimeout.duration
        configuration.webSocket.autoPing = pingInterval.value == 0 ? .disabled : .every(pingInterval.duration, timeout: pingTimeout.duration)
    }

    /// A burst of one second's worth of `rate`, at least 1 (a rate is bounded by validate()).
    private static func oneSecond(of rate: Double) -> Int {
        Int(min(rate.rounded(.up), Double(Int32.max)))
    }
}
