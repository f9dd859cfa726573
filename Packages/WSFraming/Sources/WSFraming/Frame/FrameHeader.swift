/// The header of one WebSocket frame (RFC 6455 §5.2): FIN, RSV1-3, opcode, mask and length.
public struct FrameHeader: Sendable, Hashable {
    /// The largest encoded header: 2 bytes, an 8-byte length and a 4-byte masking key.
    public static let maxEncodedSize = 14

    /// The largest payload length a frame can declare (the 64-bit length's top bit is 0).
    public static let maxPayloadLength = Int(Int64.max)

    /// FIN: whether this is the last frame of its message.
    public var isFinal: Bool
    /// RSV1-3, zero unless a negotiated extension claims them.
    public var reservedBits: ReservedBits
    /// The frame's opcode.
    public var opcode: Opcode
    /// The masking key: present on every frame a client sends, absent on a server's.
    public var maskingKey: MaskingKey?
    /// The payload's length in bytes, 0 through ``maxPayloadLength``.
    public var payloadLength: Int

    /// Creates a header.
    /// - Precondition: `payloadLength` is in `0...maxPayloadLength`.
    public init(
        isFinal: Bool = true, reservedBits: ReservedBits = [], opcode: Opcode,
        maskingKey: MaskingKey? = nil, payloadLength: Int
    ) {
        precondition(payloadLength >= 0, "a payload length cannot be negative")
        self.isFinal = isFinal
        self.reservedBits = reservedBits
        self.opcode = opcode
        self.maskingKey = maskingKey
        self.payloadLength = payloadLength
    }

    /// The number of bytes ``encode(into:)`` writes: the minimal length encoding (RFC 6455 §5.2).
    public var encodedSize: Int {
        let lengthSize = payloadLength < 126 ? 0 : (payloadLength <= 0xFFFF ? 2 : 8)
        return 2 &+ lengthSize &+ (maskingKey == nil ? 0 : 4)
    }

    /// Writes the header with the minimal length encoding (RFC 6455 §5.2).
    ///
    /// - Parameter buffer: must hold at least ``encodedSize`` bytes (a precondition).
    /// - Returns: the number of bytes written, ``encodedSize``.
    @discardableResult
    public func encode(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let size = encodedSize
        precondition(buffer.count >= size, "buffer too small for the frame header")
        guard let p = buffer.baseAddress else { return 0 }
        p.storeBytes(of: (isFinal ? 0x80 : 0) | reservedBits.rawValue | opcode.rawValue, as: UInt8.self)
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        var offset: Int
        if payloadLength < 126 {
            p.storeBytes(of: maskBit | UInt8(payloadLength), toByteOffset: 1, as: UInt8.self)
            offset = 2
        } else if payloadLength <= 0xFFFF {
            p.storeBytes(of: maskBit | 126, toByteOffset: 1, as: UInt8.self)
            p.storeBytes(of: UInt16(payloadLength).bigEndian, toByteOffset: 2, as: UInt16.self)
            offset = 4
        } else {
            p.storeBytes(of: maskBit | 127, toByteOffset: 1, as: UInt8.self)
            p.storeBytes(of: UInt64(payloadLength).bigEndian, toByteOffset: 2, as: UInt64.self)
            offset = 10
        }
        if let key = maskingKey {
            p.storeBytes(of: key.word, toByteOffset: offset, as: UInt32.self)
            offset &+= 4
        }
        return offset
    }

    /// The encoded header as bytes.
    public var encoded: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedSize) { buffer, count in
            count = encode(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }
}
