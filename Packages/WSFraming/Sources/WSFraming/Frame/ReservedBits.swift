/// The RSV1, RSV2 and RSV3 bits of a frame header (RFC 6455 §5.2).
///
/// They must be zero unless a negotiated extension claims them: permessage-deflate
/// (RFC 7692) claims ``rsv1``.
public struct ReservedBits: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    /// Creates a set from the bits as they sit in the first header byte (0x40, 0x20, 0x10).
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x70 }

    /// RSV1 (0x40 in the first byte), used by permessage-deflate.
    public static let rsv1 = ReservedBits(rawValue: 0x40)
    /// RSV2 (0x20 in the first byte).
    public static let rsv2 = ReservedBits(rawValue: 0x20)
    /// RSV3 (0x10 in the first byte).
    public static let rsv3 = ReservedBits(rawValue: 0x10)
}
