public import WSFraming

extension WebSocket {
    /// The limits, timeouts and policies of one live connection, with documented defaults.
    public struct Configuration: Sendable, Hashable {
        /// Whether and how often to ping a quiet peer: `.disabled`,
        /// or `.every(interval, timeout:)`: a Ping after `interval` without inbound bytes; a Pong
        /// that takes longer than `timeout` ends the connection (1011 sent; the outcome is 1006,
        /// "keepalive: no Pong within …", unless the peer still answers the Close).
        public typealias AutoPing = WebSocketSession.Configuration.KeepAlivePolicy

        /// The policies the connection's ``WebSocketSession`` enforces; every property below
        /// but `maxBufferedMessages`, `pingTimeout` and `deflate` is one of its fields.
        @_spi(WSInternal) public var session: WebSocketSession.Configuration
        /// Messages received but not yet consumed before the connection stops reading from
        /// the socket (inbound backpressure). Default 16.
        public var maxBufferedMessages: Int
        /// How long ``WebSocket/ping(timeout:)`` waits by default. Default 10 s.
        public var pingTimeout: Duration

        /// The largest payload of a received frame: a larger one fails the connection with 1009
        /// as soon as its header arrives. Default 1 MiB.
        public var maxFrameSize: Int {
            get { session.framing.maxFrameSize }
            set { session.framing.maxFrameSize = newValue }
        }
        /// The largest received message, after permessage-deflate decoded it: a larger one
        /// fails the connection with 1009 as soon as its size is known. Default 1 MiB.
        public var maxMessageSize: Int {
            get { session.framing.maxMessageSize }
            set { session.framing.maxMessageSize = newValue }
        }
        /// The most frames one received message may come in (1009 beyond). Default 100,000.
        public var maxFramesPerMessage: Int {
            get { session.framing.maxFramesPerMessage }
            set { session.framing.maxFramesPerMessage = newValue }
        }
        /// How sent messages are cut into frames. Default: one frame each.
        public var fragmentation: WebSocketConnection.Configuration.Fragmentation {
            get { session.framing.fragmentation }
            set { session.framing.fragmentation = newValue }
        }
        /// The outbound budget: bytes queued for the socket above which sends from a task wait,
        /// event-loop sends outside a read are refused, and reading from the peer stops until
        /// the queue has drained to half of it. A peer that does not read cannot make the
        /// connection hold more than this plus one read's replies. Default 1 MiB.
        public var maxBufferedOutboundBytes: Int {
            get { session.maxQueuedOutboundBytes }
            set { session.maxQueuedOutboundBytes = newValue }
        }
        /// Keepalive pings. Default: every 30 s of silence, 10 s to answer.
        public var autoPing: AutoPing {
            get { session.keepAlive }
            set { session.keepAlive = newValue }
        }
        /// Time without any inbound byte after which the connection is closed with 1001.
        /// Default `nil`: none (auto-ping keeps a live connection busy).
        public var idleTimeout: Duration? {
            get { session.idleTimeout }
            set { session.idleTimeout = newValue }
        }
        /// The most messages a peer may send: over it the connection is closed with 1008
        /// (policy violation), "message rate limit exceeded". Default `nil`: no limit.
        public var messageRateLimit: RateLimit? {
            get { session.messageRateLimit }
            set { session.messageRateLimit = newValue }
        }
        /// How long a closing endpoint waits for the peer's Close, and for the TCP connection
        /// to close after the handshake (what is queued draining; a client waiting for the
        /// server to close first), before it closes the connection itself, dropping what is
        /// still queued. Default 10 s.
        public var closeTimeout: Duration {
            get { session.closeTimeout }
            set { session.closeTimeout = newValue }
        }
        /// permessage-deflate (RFC 7692): a server accepts it and a client offers it with
        /// these settings. Default ``Deflate/default`` (on, 12-bit windows); `nil` turns it off.
        /// Decompressed messages count against `maxMessageSize`.
        public var deflate: Deflate? {
            get { deflateStorage?.value }
            set { deflateStorage = newValue.map(DeflateStorage.init) }
        }
        /// `deflate` out of line: one pointer, not 88 bytes, in every copy of the configuration.
        private var deflateStorage: DeflateStorage?

        /// Where the connection records its metrics (``WebSocketMetrics/Name``): by default the
        /// backend `MetricsSystem` was bootstrapped with, nothing while there is none.
        public var metrics: WebSocketMetrics {
            get { observability?.metrics ?? .system }
            set { observability = Observability(metrics: newValue, tracing: tracing) }
        }
        /// Where the connection records its span: by default the tracer `InstrumentationSystem`
        /// was bootstrapped with, nothing while there is none. See ``WebSocketTracing``.
        public var tracing: WebSocketTracing {
            get { observability?.tracing ?? .system }
            set { observability = Observability(metrics: metrics, tracing: newValue) }
        }
        /// `metrics` and `tracing` out of line; nil for both defaults.
        private var observability: Observability?

        /// Creates a configuration; every parameter has the default described on its property.
        public init(
            maxFrameSize: Int = WebSocketConnection.Configuration.default.maxFrameSize,
            maxMessageSize: Int = WebSocketConnection.Configuration.default.maxMessageSize,
            maxFramesPerMessage: Int = WebSocketConnection.Configuration.default.maxFramesPerMessage,
            fragmentation: WebSocketConnection.Configuration.Fragmentation = .never,
            maxBufferedMessages: Int = 16,
            maxBufferedOutboundBytes: Int = WebSocketSession.Configuration.default.maxQueuedOutboundBytes,
            autoPing: AutoPing = WebSocketSession.Configuration.default.keepAlive,
            idleTimeout: Duration? = nil,
            closeTimeout: Duration = WebSocketSession.Configuration.default.closeTimeout,
            pingTimeout: Duration = .seconds(10),
            messageRateLimit: RateLimit? = nil,
            deflate: Deflate? = .default
        ) {
            session = WebSocketSession.Configuration(
                framing: WebSocketConnection.Configuration(
                    maxFrameSize: maxFrameSize, maxMessageSize: maxMessageSize, maxFramesPerMessage: maxFramesPerMessage,
                    fragmentation: fragmentation),
                keepAlive: autoPing, idleTimeout: idleTimeout, closeTimeout: closeTimeout, messageRateLimit: messageRateLimit,
                maxQueuedOutboundBytes: maxBufferedOutboundBytes)
            self.deflateStorage = deflate.map(DeflateStorage.init)
            self.maxBufferedMessages = maxBufferedMessages
            self.pingTimeout = pingTimeout
        }

        /// The defaults.
        public static let `default` = Configuration()
    }
}

/// An immutable box for ``WebSocket/Configuration/metrics`` and ``WebSocket/Configuration/tracing``.
private final class Observability: Sendable, Hashable {
    let metrics: WebSocketMetrics
    let tracing: WebSocketTracing

    init(metrics: WebSocketMetrics, tracing: WebSocketTracing) {
        self.metrics = metrics
        self.tracing = tracing
    }

    static func == (lhs: Observability, rhs: Observability) -> Bool { lhs.metrics == rhs.metrics && lhs.tracing == rhs.tracing }

    func hash(into hasher: inout Hasher) {
        hasher.combine(metrics)
        hasher.combine(tracing)
    }
}

/// An immutable box for ``WebSocket/Configuration/deflate``: one pointer in the configuration.
private final class DeflateStorage: Sendable, Hashable {
    let value: WebSocket.Deflate

    init(_ value: WebSocket.Deflate) { self.value = value }

    static func == (lhs: DeflateStorage, rhs: DeflateStorage) -> Bool { lhs.value == rhs.value }

    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
