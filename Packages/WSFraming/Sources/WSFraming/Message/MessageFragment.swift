/// A piece of a message, as the connection hands it out in streaming mode
/// (``WebSocketConnection/Configuration/Delivery/streaming``).
///
/// The pieces of one message arrive in order, the first with ``isFirst``, the last with
/// ``isFinal``. A text message's pieces may split a character between them; the whole
/// message is checked to be UTF-8 as the pieces arrive.
public struct MessageFragment: Sendable, Hashable {
    /// The message's kind.
    public var kind: MessageKind
    /// The bytes of this piece (unmasked, and decoded by any extension).
    public var bytes: [UInt8]
    /// Whether this is the message's first piece.
    public var isFirst: Bool
    /// Whether this is the message's last piece.
    public var isFinal: Bool

    /// Creates a fragment.
    public init(kind: MessageKind, bytes: [UInt8], isFirst: Bool, isFinal: Bool) {
        self.kind = kind
        self.bytes = bytes
        self.isFirst = isFirst
        self.isFinal = isFinal
    }
}
