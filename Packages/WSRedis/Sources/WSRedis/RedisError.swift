/// What went wrong with Redis, in words that say what to check.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Sendable, Hashable {
        /// The URL is not a `redis://` or `rediss://` URL this client understands.
        case invalidURL
        /// No connection to the address (refused, timed out, no route, name unknown).
        case unreachable
        /// The TLS handshake with Redis failed (`rediss://`).
        case tls
        /// Redis refused the credentials (AUTH).
        case authentication
        /// Redis answered a command with an error.
        case replied
        /// Redis sent what is not RESP, or more than the bound at once.
        case protocolViolation
        /// The connection ended before the answer came.
        case connectionLost
        /// hiredis could not allocate memory for a reader or a command.
        case outOfMemory
    }

    /// The kind of failure.
    public let kind: Kind
    /// What happened, with the address: `cannot reach Redis at 127.0.0.1:6379: connection refused`.
    public let message: String

    /// A failure of `kind`, explained by `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
