/// A frame's opcode (RFC 6455 §5.2). The reserved opcodes 3-7 and 11-15 have no case:
/// a frame that uses one fails to decode with ``FramingError/Code/reservedOpcode``.
public enum Opcode: UInt8, Sendable, Hashable, CaseIterable {
    /// A continuation of a fragmented message (0x0).
    case continuation = 0x0
    /// The first frame of a text message (0x1).
    case text = 0x1
    /// The first frame of a binary message (0x2).
    case binary = 0x2
    /// A Close control frame (0x8).
    case close = 0x8
    /// A Ping control frame (0x9).
    case ping = 0x9
    /// A Pong control frame (0xA).
    case pong = 0xA

    /// Whether this is a control frame's opcode (the high bit of the nibble is set, RFC 6455 §5.5).
    public var isControl: Bool { rawValue & 0x8 != 0 }
}
