/// A negotiated extension that transforms whole messages, such as permessage-deflate
/// (RFC 7692): the extension point of ``WebSocketConnection``.
///
/// The connection gives the transform every message whose first frame carries one of
/// ``reservedBits`` and lets those bits pass its checks on first frames only (RFC 7692 §6:
/// never on continuation or control frames). A transform is stateful (a compression
/// context) and belongs to one connection.
public protocol MessageTransform: AnyObject {
    /// The reserved bits the extension claims (RSV1 for permessage-deflate).
    var reservedBits: ReservedBits { get }

    /// Decodes the next piece of an inbound message's payload.
    ///
    /// - Parameters:
    ///   - input: payload bytes, already unmasked; may be empty.
    ///   - isFinal: whether this is the last piece of the message.
    ///   - output: receives the decoded bytes, in as many calls as the transform likes. It
    ///     returns `false` when the message has grown past its limit: then return at once,
    ///     decoding nothing more (a decompression bomb costs no more than the limit), and the
    ///     connection fails with 1009.
    /// - Throws: ``FramingError/extensionFailure(_:closeCode:)`` for corrupt input.
    func decode(
        _ input: UnsafeRawBufferPointer, isFinal: Bool,
        output: (UnsafeRawBufferPointer) -> Bool
    ) throws(FramingError)

    /// Encodes an outbound message's whole payload.
    ///
    /// - Returns: the bytes to send and the reserved bits to set on the first frame, or
    ///   `nil` to send this message untransformed (for example, below a size threshold).
    func encode(_ payload: UnsafeRawBufferPointer, kind: MessageKind) throws(FramingError) -> (bytes: [UInt8], reservedBits: ReservedBits)?

    /// Whether ``encode(_:kind:)`` would transform a message of `count` bytes: when it says
    /// no, the connection writes the message straight into the caller's memory (the fast
    /// path) without asking again. Default: `true`.
    func encodes(count: Int, kind: MessageKind) -> Bool

    /// Encodes one fragment of an outbound message sent in parts (RFC 7692 §6.1: a message is
    /// compressed as a whole; its frames carry consecutive pieces of the compressed data).
    ///
    /// - Parameters:
    ///   - payload: this fragment's bytes, as the caller passed them.
    ///   - kind: text or binary, the kind of the whole message.
    ///   - isFirst: the message's first fragment: return `nil` to send the whole message
    ///     untransformed (the connection then does not ask again until the next message).
    ///   - isFinal: the message's last fragment.
    /// - Returns: the bytes of this fragment and, on the first, the reserved bits to set;
    ///   after a first fragment the transform took, it must not return `nil`.
    ///   Default: `nil` (fragments go untransformed).
    func encodeFragment(_ payload: UnsafeRawBufferPointer, kind: MessageKind, isFirst: Bool, isFinal: Bool)
        throws(FramingError) -> (bytes: [UInt8], reservedBits: ReservedBits)?
}

extension MessageTransform {
    /// Every message may be transformed.
    public func encodes(count: Int, kind: MessageKind) -> Bool { true }

    /// Fragments go untransformed.
    public func encodeFragment(_ payload: UnsafeRawBufferPointer, kind: MessageKind, isFirst: Bool, isFinal: Bool)
        throws(FramingError) -> (bytes: [UInt8], reservedBits: ReservedBits)? { nil }
}
