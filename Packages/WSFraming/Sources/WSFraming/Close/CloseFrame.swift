/// The payload of a Close frame: an optional code and a UTF-8 reason (RFC 6455 §5.5.1).
public struct CloseFrame: Sendable, Hashable, CustomStringConvertible {
    /// The largest reason that fits a control frame: 125 bytes less the 2-byte code.
    public static let maxReasonLength = 123

    /// The status code, or `nil` for a Close frame with an empty payload (reported as 1005).
    public var code: CloseCode?
    /// The reason, empty when none was given.
    public var reason: String

    /// Creates a close payload.
    public init(code: CloseCode?, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    /// Decodes and checks a Close frame's payload.
    ///
    /// - Throws: ``FramingError`` with 1002 for a 1-byte payload or a code that may not
    ///   appear on the wire (RFC 6455 §5.5.1, §7.4), with 1007 for a reason that is not
    ///   UTF-8 (RFC 6455 §5.5.1, §8.1).
    public init(decoding payload: UnsafeRawBufferPointer) throws(FramingError) {
        switch payload.count {
        case 0:
            self.init(code: nil)
        case 1:
            throw .protocolError(.invalidClosePayload, "Close frame has a 1-byte payload; a code needs 2 (RFC 6455 §5.5.1)")
        default:
            let code = CloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1]))
            guard code.isValidOnWire else {
                throw .protocolError(.invalidCloseCode, "Close frame carries code \(code.rawValue), which may not be sent (RFC 6455 §7.4)")
            }
            let reason = UnsafeRawBufferPointer(rebasing: payload[2...])
            guard UTF8Validator.isValid(reason) else {
                throw .remote(.invalidUTF8, .invalidPayloadData, "Close frame's reason is not valid UTF-8 (RFC 6455 §5.5.1)")
            }
            self.init(code: code, reason: String(decoding: reason, as: UTF8.self))
        }
    }

    /// Decodes and checks a Close frame's payload.
    public init(decoding payload: [UInt8]) throws(FramingError) {
        self = try withTypedThrows(payload) { (buffer) throws(FramingError) in try CloseFrame(decoding: buffer) }
    }

    /// The payload to send: the code in network order and the reason, or nothing without a code.
    public var encoded: [UInt8] {
        guard let code else { return [] }
        return [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)] + Array(reason.utf8)
    }

    public var description: String {
        guard let code else { return "no code" }
        return reason.isEmpty ? "\(code)" : "\(code) \(reason)"
    }
}
