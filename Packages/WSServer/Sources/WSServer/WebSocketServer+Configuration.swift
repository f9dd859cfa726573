public import NIOCore
public import WSHTTP

extension WebSocketServer {
    /// Everything a server is configured with, with documented defaults (WebSockets.jl's
    /// `default_options()`). The live connections' own limits and timeouts are in `webSocket`.
    public struct Configuration: Sendable {
        /// The live connections' limits and timeouts: frame and message size, outbound buffer,
        /// auto-ping, idle and close timeouts (WSHTTP's defaults).
        public var webSocket: WebSocket.Configuration
        /// The most WebSocket connections open at once; an upgrade over it gets 503 with
        /// `Retry-After`. Plain HTTP requests are still answered. Default 10,000.
        public var maxConnections: Int
        /// The most connections open at once that have not upgraded: TLS and HTTP handshakes
        /// in progress, upgrades being decided, and plain HTTP connections kept alive between
        /// requests (each of which `handshakeTimeout` also ends). A connection accepted while
        /// this many are pending makes the oldest of them be dropped: closed without an answer;
        /// the oldest that has not sent a whole request, or if every one has, the oldest whose
        /// upgrade is being decided. Peers that open connections and hold their handshakes open
        /// so cannot lock real clients out: a real client's handshake takes milliseconds, and
        /// one of theirs is what is dropped. Connections are counted the moment they are
        /// accepted, and the server stops accepting while it holds this many plus
        /// `maxConnections` plus 4 sockets, so a burst of connections cannot use up the
        /// process's file descriptors either. Values below 1 count as 1. Default 256, well
        /// under the 1,024 file descriptors a process may have open by default.
        public var maxPendingConnections: Int
        /// How long a connection may take from accept to its 101 (TLS handshake included): a
        /// slow or silent client is cut off. A connection that only serves plain HTTP is closed
        /// this long after it was accepted. Default 10 s. One timer checks every connection's
        /// deadline, each tenth of this (from 10 ms to 250 ms), so a connection may be cut off
        /// up to that much later; no connection has a timer of its own.
        public var handshakeTimeout: Duration
        /// Called with the peer's address before a byte is read (WebSockets.jl's `tcpisvalid`);
        /// `false` closes the connection at once. Default: every address is let in.
        public var connectionFilter: (@Sendable (SocketAddress) -> Bool)?
        /// The origins allowed to open a WebSocket (`Origin` compared exactly, such as
        /// `https://example.com`); an upgrade from another origin gets 403. A request without
        /// `Origin` (not a browser) is let in. Nil (the default) lets every origin in.
        public var allowedOrigins: Set<String>?
        /// The subprotocols the server speaks, in its order of preference: each upgrade gets
        /// the first of these that the client offered, or none. Default: none.
        public var subprotocols: [String]
        /// New WebSocket connections per client address (a token bucket per IP address); an
        /// upgrade over it gets 429 with `Retry-After`. Default `nil`: no limit.
        public var connectionRateLimit: RateLimit?
        /// Messages per connection: over it the connection is closed with 1008. The same as
        /// `webSocket.messageRateLimit`. Default `nil`: no limit.
        public var messageRateLimit: RateLimit? {
            get { webSocket.messageRateLimit }
            set { webSocket.messageRateLimit = newValue }
        }
        /// How long `shutdown()` waits for clients to answer the 1001 Close before it closes
        /// what is left. Default 5 s.
        public var shutdownTimeout: Duration
        /// The largest body of a plain HTTP request (413 beyond). Default 1 MiB.
        public var maxRequestBodySize: Int

        /// The defaults named on each property.
        public init(webSocket: WebSocket.Configuration = .default, maxConnections: Int = 10_000, maxPendingConnections: Int = 256,
                    handshakeTimeout: Duration = .seconds(10), connectionFilter: (@Sendable (SocketAddress) -> Bool)? = nil,
                    allowedOrigins: Set<String>? = nil, subprotocols: [String] = [], connectionRateLimit: RateLimit? = nil,
                    messageRateLimit: RateLimit? = nil, shutdownTimeout: Duration = .seconds(5), maxRequestBodySize: Int = 1 << 20) {
            self.webSocket = webSocket
            self.maxConnections = maxConnections
            self.maxPendingConnections = maxPendingConnections
            self.handshakeTimeout = handshakeTimeout
            self.connectionFilter = connectionFilter
            self.allowedOrigins = allowedOrigins
            self.subprotocols = subprotocols
            self.connectionRateLimit = connectionRateLimit
            if let messageRateLimit { self.webSocket.messageRateLimit = messageRateLimit }
            self.shutdownTimeout = shutdownTimeout
            self.maxRequestBodySize = maxRequestBodySize
        }

        /// The defaults.
        public static var `default`: Configuration { Configuration() }
    }
}
