extension WebSocketSession {
    /// The policies of one live connection, with documented defaults.
    public struct Configuration: Sendable, Hashable {
        /// Whether and how often to ping a quiet peer (RFC 6455 §5.5.2).
        public enum KeepAlivePolicy: Sendable, Hashable {
            /// Never ping on our own.
            case disabled
            /// Ping after `interval` without inbound bytes; a Pong that takes longer than
            /// `timeout` ends the connection: a Close with 1011 goes out, and the transport is
            /// closed once the peer answers or the close timeout passes. The outcome is 1006
            /// (no Close came back) with the reason "keepalive: no Pong within …".
            case every(Duration, timeout: Duration)
        }

        /// Frame and message limits, outbound fragmentation, delivery and failure policy (the
        /// RFC's rules live in ``WebSocketConnection``). Its ``WebSocketConnection/Configuration/pongPolicy``
        /// is the session's: with ``WebSocketConnection/Configuration/PongPolicy/automatic``
        /// the session answers Pings itself.
        public var framing: WebSocketConnection.Configuration
        /// Keepalive pings. Default: every 30 s of silence, 10 s to answer.
        public var keepAlive: KeepAlivePolicy
        /// Time without any inbound byte after which the connection is closed with 1001.
        /// Default `nil`: none (keepalive keeps a live connection busy).
        public var idleTimeout: Duration?
        /// How long this side waits for the peer's Close after sending its own, and for the
        /// transport to close after the handshake (queued bytes draining, a client waiting for
        /// the server to close TCP), before it closes the transport itself, dropping whatever
        /// is still queued. Default 10 s.
        public var closeTimeout: Duration
        /// The most messages a peer may send: over it the connection is closed with 1008
        /// (policy violation), "message rate limit exceeded". Default `nil`: no limit.
        public var messageRateLimit: RateLimit?
        /// Bytes queued for the transport above which the session stops reading, sends from a
        /// task wait, and Pings are answered only once (RFC 6455 §5.5.3). The I/O layer
        /// enforces the count (its write-buffer high watermark) and reports crossings with
        /// ``WebSocketSession/outboundPressureChanged(_:into:)``. Default 1 MiB.
        public var maxQueuedOutboundBytes: Int

        /// Creates a configuration; every parameter has the default described on its property.
        public init(
            framing: WebSocketConnection.Configuration = .default,
            keepAlive: KeepAlivePolicy = .every(.seconds(30), timeout: .seconds(10)),
            idleTimeout: Duration? = nil,
            closeTimeout: Duration = .seconds(10),
            messageRateLimit: RateLimit? = nil,
            maxQueuedOutboundBytes: Int = 1 << 20
        ) {
            self.framing = framing
            self.keepAlive = keepAlive
            self.idleTimeout = idleTimeout
            self.closeTimeout = closeTimeout
            self.messageRateLimit = messageRateLimit
            self.maxQueuedOutboundBytes = maxQueuedOutboundBytes
        }

        /// The defaults named on each property.
        public static let `default` = Configuration()
    }
}
