/// The two kinds of data message (RFC 6455 §5.6).
public enum MessageKind: Sendable, Hashable {
    /// UTF-8 text (opcode 0x1).
    case text
    /// Arbitrary bytes (opcode 0x2).
    case binary

    /// The opcode of a message's first frame.
    public var opcode: Opcode { self == .text ? .text : .binary }
}
