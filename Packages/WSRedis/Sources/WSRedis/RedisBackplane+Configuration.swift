public import WSHTTP
public import WSTLS

extension RedisBackplane {
    /// How the backplane talks to Redis, and its bounds.
    public struct Configuration: Sendable {
        /// Whether the address is one Redis or a node of a Redis Cluster.
        public enum Mode: Sendable, Hashable {
            /// Asks the server (`CLUSTER SLOTS`): a cluster node uses sharded pub/sub, any other
            /// server plain pub/sub. The default.
            case automatic
            /// One Redis (or a primary with replicas): PUBLISH and SUBSCRIBE.
            case standalone
            /// A Redis Cluster (7.0 or later): SPUBLISH and SSUBSCRIBE on the master of each
            /// topic's slot.
            case cluster
        }

        /// Standalone or cluster. Default: asked of the server.
        public var mode: Mode
        /// How a `rediss://` server's certificate is checked (default: the system's trust
        /// store and the URL's host). ALPN is not offered.
        public var tls: TLSClientConfiguration
        /// How long a connection may take to open, TLS and AUTH included. Default 5 s.
        public var connectTimeout: Duration
        /// The wait before the first reconnection after a connection is lost; it doubles with
        /// each failed attempt, with jitter, up to ``maxReconnectDelay``. Default 50 ms.
        public var reconnectDelay: Duration
        /// The longest wait between reconnection attempts. Default 1 s: delivery resumes within
        /// about a second of Redis coming back.
        public var maxReconnectDelay: Duration
        /// The most bytes of publishes waiting for a Redis node's socket; a publish beyond it
        /// is dropped (`over_limit`). Default 8 MiB.
        public var maxPendingBytes: Int
        /// The longest message taken from Redis (a topic message's payload); what is longer
        /// is dropped as `malformed`, and a reply much longer than it ends the connection.
        /// Default 1 MiB, as WSTopics' `WebSocketTopics.Limits.maxMessageBytes`.
        public var maxMessageBytes: Int
        /// Where the backplane's metrics go (`WebSocketMetrics.Name.backplaneMessages` and
        /// the rest). Default: the bootstrapped backend.
        public var metrics: WebSocketMetrics

        /// A configuration with the defaults, or the values given.
        public init(
            mode: Mode = .automatic, tls: TLSClientConfiguration = TLSClientConfiguration(applicationProtocols: []),
            connectTimeout: Duration = .seconds(5), reconnectDelay: Duration = .milliseconds(50),
            maxReconnectDelay: Duration = .seconds(1), maxPendingBytes: Int = 8 << 20, maxMessageBytes: Int = 1 << 20,
            metrics: WebSocketMetrics = .system
        ) {
            self.mode = mode
            self.tls = tls
            self.connectTimeout = connectTimeout
            self.reconnectDelay = reconnectDelay
            self.maxReconnectDelay = maxReconnectDelay
            self.maxPendingBytes = maxPendingBytes
            self.maxMessageBytes = maxMessageBytes
            self.metrics = metrics
        }
    }

    /// What the backplane has done since it connected.
    public struct Statistics: Sendable, Hashable {
        /// Publishes handed to Redis.
        public var published = 0
        /// Topic messages from Redis, handed to the topics (this node's own among them).
        public var received = 0
        /// Publishes dropped while the node of their topic was unreachable.
        public var droppedDisconnected = 0
        /// Publishes dropped because more than ``Configuration/maxPendingBytes`` waited.
        public var droppedOverLimit = 0
        /// Publishes Redis answered with an error.
        public var rejected = 0
        /// Messages from Redis that were not topic messages (someone else publishing on the channel).
        public var malformed = 0
        /// Reconnections after a lost connection.
        public var reconnects = 0
    }
}
