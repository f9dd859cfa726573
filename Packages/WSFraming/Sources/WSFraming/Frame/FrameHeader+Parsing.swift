extension FrameHeader {
    /// Decodes a header from the start of `bytes`.
    ///
    /// Checks the rules that hold for every frame on its own: no reserved opcode, a 64-bit
    /// length with its top bit clear, control frames final and at most 125 bytes
    /// (RFC 6455 §5.2, §5.5). Rules that depend on the connection (masking by role, reserved
    /// bits, continuation) are the connection's. A length encoded in more bytes than needed
    /// is accepted: it is unambiguous, and rejecting it would only break sloppy peers.
    ///
    /// - Returns: the header and its encoded size, or `nil` if `bytes` does not yet hold a
    ///   whole header.
    /// - Throws: ``FramingError`` with close code 1002 for a header that breaks a rule.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(FramingError) -> (header: FrameHeader, size: Int)? {
        try decode(bytes)
    }

    /// ``parse(_:)``, inlined into the connection's receive path.
    @inline(__always)
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(FramingError) -> (header: FrameHeader, size: Int)? {
        guard bytes.count >= 2, let p = bytes.baseAddress else { return nil }
        let b0 = p.load(as: UInt8.self)
        let b1 = p.load(fromByteOffset: 1, as: UInt8.self)
        let masked = b1 & 0x80 != 0
        let length7 = b1 & 0x7F
        let lengthSize = length7 < 126 ? 0 : (length7 == 126 ? 2 : 8)
        let size = 2 &+ lengthSize &+ (masked ? 4 : 0)
        guard bytes.count >= size else { return nil }

        guard let opcode = Opcode(rawValue: b0 & 0x0F) else {
            throw .protocolError(.reservedOpcode, "frame uses reserved opcode \(b0 & 0x0F) (RFC 6455 §5.2)")
        }
        let isFinal = b0 & 0x80 != 0
        var length: Int
        switch lengthSize {
        case 0:
            length = Int(length7)
        case 2:
            length = Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        default:
            let length64 = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt64.self))
            guard length64 >> 63 == 0 else {
                throw .protocolError(.invalidLength, "64-bit payload length has its most significant bit set (RFC 6455 §5.2)")
            }
            length = Int(length64)
        }
        if opcode.isControl {
            guard isFinal else {
                throw .protocolError(.fragmentedControlFrame, "control frame \(opcode) is fragmented (RFC 6455 §5.5)")
            }
            guard length <= 125 else {
                throw .protocolError(.oversizedControlFrame, "control frame \(opcode) carries \(length) bytes, more than 125 (RFC 6455 §5.5)")
            }
        }
        let key = masked
            ? MaskingKey(memoryOrder: p.loadUnaligned(fromByteOffset: 2 &+ lengthSize, as: UInt32.self))
            : nil
        let header = FrameHeader(
            isFinal: isFinal, reservedBits: ReservedBits(rawValue: b0),
            opcode: opcode, maskingKey: key, payloadLength: length)
        return (header, size)
    }

    /// Decodes a header from the start of `bytes`.
    /// - Returns: the header and its encoded size, or `nil` if more bytes are needed.
    public static func parse(_ bytes: [UInt8]) throws(FramingError) -> (header: FrameHeader, size: Int)? {
        try withTypedThrows(bytes) { (buffer) throws(FramingError) in try parse(buffer) }
    }
}

/// Runs `body` over `bytes`' storage, keeping `body`'s typed error.
func withTypedThrows<R>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(FramingError) -> R
) throws(FramingError) -> R {
    let result: Result<R, FramingError> = bytes.withUnsafeBytes { buffer in
        do throws(FramingError) { return .success(try body(buffer)) } catch { return .failure(error) }
    }
    return try result.get()
}
