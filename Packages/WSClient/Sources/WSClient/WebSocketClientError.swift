/// An error of `WebSocket.connect` before the opening handshake: a bad URL, a connection
/// that could not be made, a timeout. (A refused upgrade or certificate is a `WebSocketError`
/// with the server's response or the `TLSError`.)
public struct WebSocketClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// A name for logs.
        public var description: String { name }
        /// The URL is not a `ws://` or `wss://` URL this client can use.
        public static let invalidURL = Code("invalidURL")
        /// The TCP connection could not be made (refused, unreachable, no such host).
        public static let connectFailed = Code("connectFailed")
        /// The TCP connection was not made within `connectTimeout`.
        public static let connectTimeout = Code("connectTimeout")
        /// The HTTP proxy refused the tunnel (its status line says why) or broke off.
        public static let proxyFailed = Code("proxyFailed")
        /// The TLS and WebSocket handshakes did not finish within `handshakeTimeout`.
        public static let handshakeTimeout = Code("handshakeTimeout")
    }

    /// What went wrong.
    public let code: Code
    /// One sentence for a person.
    public let message: String

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// "WebSocket client error (connectFailed): …".
    public var description: String { "WebSocket client error (\(code)): \(message)" }
}
