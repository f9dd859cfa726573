/// Which end of a connection an endpoint is; it decides the masking rules (RFC 6455 §5.1).
public enum WebSocketRole: Sendable, Hashable {
    /// The endpoint that accepted the connection: it requires masked frames and sends unmasked ones.
    case server
    /// The endpoint that opened the connection: it masks every frame and rejects masked ones.
    case client
}
