/// A whole message received or to send.
public enum WebSocketMessage: Sendable, Hashable {
    /// A text message, valid UTF-8 (RFC 6455 §5.6).
    case text(String)
    /// A binary message.
    case binary([UInt8])
}

extension WebSocketMessage {
    /// Calls `body` with the message's kind and bytes (a text message's UTF-8).
    func withUnsafeBytes<Result>(_ body: (MessageKind, UnsafeRawBufferPointer) -> Result) -> Result {
        switch self {
        case .text(var text): text.withUTF8 { body(.text, UnsafeRawBufferPointer($0)) }
        case .binary(let bytes): bytes.withUnsafeBytes { body(.binary, $0) }
        }
    }
}
