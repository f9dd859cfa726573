/// A whole message received or to send.
public enum WebSocketMessage: Sendable, Hashable {
    /// A text message, valid UTF-8 (RFC 6455 §5.6).
    case text(String)
    /// A binary message.
    case binary([UInt8])
}

extension WebSocketMessage {
    /// Calls `body` with the message's kind and bytes (a text message's UTF-8), without a
    /// copy; the pointer must not escape.
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (MessageKind, UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let result: Swift.Result<Result, Failure>
        switch self {
        case .text(var text):
            result = text.withUTF8 { utf8 in
                do throws(Failure) { return .success(try body(.text, UnsafeRawBufferPointer(utf8))) } catch { return .failure(error) }
            }
        case .binary(let bytes):
            result = bytes.withUnsafeBytes { bytes in
                do throws(Failure) { return .success(try body(.binary, bytes)) } catch { return .failure(error) }
            }
        }
        return try result.get()
    }
}
