public import WSFraming

extension WebSocket {
    /// The limits, timeouts and policies of one live connection, with documented defaults.
    public struct Configuration: Sendable, Hashable {
        /// Whether and how often to ping a quiet peer.
        public enum AutoPing: Sendable, Hashable {
            /// Never ping on our own.
            case disabled
            /// Ping after `interval` without inbound bytes; a Pong that takes longer than
            /// `timeout` fails the connection: it sends 1011 and closes; the outcome is 1006
            /// (no Close came back) with the reason "keepalive: no Pong within …".
            case every(Duration, timeout: Duration)
        }

        /// Frame and message limits and outbound fragmentation (RFC 6455 rules live there).
        /// Default: 1 MiB frames and messages. Delivery is always whole messages.
        public var framing: WebSocketConnection.Configuration
        /// Messages received but not yet consumed before the connection stops reading from
        /// the socket (inbound backpressure). Default 16.
        public var maxBufferedMessages: Int
        /// Bytes queued for the socket above which sends wait (outbound backpressure).
        /// Default 1 MiB.
        public var maxBufferedOutboundBytes: Int
        /// Keepalive pings. Default: every 30 s of silence, 10 s to answer.
        public var autoPing: AutoPing
        /// Time without any inbound byte after which the connection is closed with 1001.
        /// Default `nil`: none (auto-ping keeps a live connection busy).
        public var idleTimeout: Duration?
        /// The most messages a peer may send: over it the connection is closed with 1008
        /// (policy violation), "message rate limit exceeded". Default `nil`: no limit.
        public var messageRateLimit: RateLimit?
        /// How long a closing endpoint waits for the peer's Close, and a client for the
        /// server to close the TCP connection, before it closes it itself. Default 10 s.
        public var closeTimeout: Duration
        /// How long ``WebSocket/ping(timeout:)`` waits by default. Default 10 s.
        public var pingTimeout: Duration
        /// permessage-deflate (RFC 7692): a server accepts it and a client offers it with
        /// these settings. Default ``Deflate/default`` (on, 12-bit windows); `nil` turns it off.
        /// Decompressed messages count against `framing.maxMessageSize`.
        public var deflate: Deflate? {
            get { deflateStorage?.value }
            set { deflateStorage = newValue.map(DeflateStorage.init) }
        }
        /// `deflate` out of line: every connection's handler keeps a copy of its configuration,
        /// and the 88 bytes inline would cost each idle connection that much.
        private var deflateStorage: DeflateStorage?

        /// Creates a configuration; every parameter has the default described on its property.
        public init(
            framing: WebSocketConnection.Configuration = .default,
            maxBufferedMessages: Int = 16,
            maxBufferedOutboundBytes: Int = 1 << 20,
            autoPing: AutoPing = .every(.seconds(30), timeout: .seconds(10)),
            idleTimeout: Duration? = nil,
            closeTimeout: Duration = .seconds(10),
            pingTimeout: Duration = .seconds(10),
            messageRateLimit: RateLimit? = nil,
            deflate: Deflate? = .default
        ) {
            self.deflateStorage = deflate.map(DeflateStorage.init)
            self.messageRateLimit = messageRateLimit
            self.framing = framing
            self.maxBufferedMessages = maxBufferedMessages
            self.maxBufferedOutboundBytes = maxBufferedOutboundBytes
            self.autoPing = autoPing
            self.idleTimeout = idleTimeout
            self.closeTimeout = closeTimeout
            self.pingTimeout = pingTimeout
        }

        /// The defaults.
        public static let `default` = Configuration()
    }
}

/// An immutable box for ``WebSocket/Configuration/deflate``: one pointer in the configuration.
private final class DeflateStorage: Sendable, Hashable {
    let value: WebSocket.Deflate

    init(_ value: WebSocket.Deflate) { self.value = value }

    static func == (lhs: DeflateStorage, rhs: DeflateStorage) -> Bool { lhs.value == rhs.value }

    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
