/// The opening handshake's key and its answer (RFC 6455 §4.1, §4.2.2).
public enum WebSocketKey {
    /// The GUID the server appends to the key before hashing (RFC 6455 §1.3).
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`: the base64 of the
    /// SHA-1 of the key followed by the GUID.
    public static func accept(for key: String) -> String {
        Base64.encode(SHA1.hash(Array((key + guid).utf8)))
    }

    /// A new client key: 16 bytes from the system's secure random source, in base64
    /// (RFC 6455 §4.1: "randomly selected" for each connection).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Whether `key` is the base64 of exactly 16 bytes (RFC 6455 §4.2.1, item 5).
    public static func isValid(_ key: String) -> Bool {
        Base64.decode(key)?.count == 16
    }
}
