/// The bytes a backplane that carries bytes (Redis) sends for a message: a 19-byte header and
/// the payload.
///
/// | bytes | what |
/// |---|---|
/// | 0 | `0xA7`, so that a stray publish to the same channel is told apart |
/// | 1 | the format's version, `1` |
/// | 2 | `1` text, `2` binary |
/// | 3-18 | the origin node, big-endian |
/// | 19- | the payload |
extension BackplaneMessage {
    /// Why bytes from a backplane are not a message: someone else publishes on the channel,
    /// or a node of another version.
    public struct EnvelopeError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong with the bytes.
        public let description: String
    }

    /// The header's length: what a payload costs on the backplane beyond itself.
    public static let envelopeHeaderCount = 19
    static let magic: UInt8 = 0xA7
    static let version: UInt8 = 1

    /// The message's bytes on a backplane: see the type's notes.
    public func envelope() -> [UInt8] {
        message.withUnsafePayload { payload in
            [UInt8](unsafeUninitializedCapacity: Self.envelopeHeaderCount + payload.count) { typed, count in
                let memory = UnsafeMutableRawBufferPointer(typed)
                memory[0] = Self.magic
                memory[1] = Self.version
                memory[2] = message.kind == .text ? 1 : 2
                withUnsafeBytes(of: origin.rawValue.bigEndian) { origin in
                    UnsafeMutableRawBufferPointer(rebasing: memory[3..<19]).copyMemory(from: origin)
                }
                UnsafeMutableRawBufferPointer(rebasing: memory[19...]).copyMemory(from: payload)
                count = Self.envelopeHeaderCount + payload.count
            }
        }
    }

    /// The origin an envelope names, read without decoding the rest: a backplane that gets its
    /// node's own publishes back drops them with it. Nil for bytes too short to be an envelope.
    public static func origin(ofEnvelope bytes: UnsafeRawBufferPointer) -> NodeID? {
        guard bytes.count >= envelopeHeaderCount, bytes[0] == magic else { return nil }
        var raw: UInt128 = 0
        withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[3..<19])) }
        return NodeID(rawValue: UInt128(bigEndian: raw))
    }

    /// Reads a message of `topic` from a backplane's bytes, checked as a WebSocket peer's
    /// message would be: the kind, the length, and a text message's UTF-8.
    ///
    /// - Parameters:
    ///   - topic: the topic (the channel) the bytes came on.
    ///   - bytes: an ``envelope()``.
    ///   - maxMessageBytes: the longest payload taken.
    /// - Throws: ``EnvelopeError`` for bytes that are not such a message.
    public init(topic: String, envelope bytes: UnsafeRawBufferPointer, maxMessageBytes: Int) throws(EnvelopeError) {
        guard let origin = Self.origin(ofEnvelope: bytes) else {
            throw EnvelopeError(description: "not a WebSockets topic message (\(bytes.count) bytes without its header)")
        }
        guard bytes[1] == Self.version else { throw EnvelopeError(description: "a message of format version \(bytes[1]), not \(Self.version)") }
        let kind: MessageKind
        switch bytes[2] {
        case 1: kind = .text
        case 2: kind = .binary
        default: throw EnvelopeError(description: "unknown message kind \(bytes[2])")
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[19...])
        guard payload.count <= maxMessageBytes else {
            throw EnvelopeError(description: "a message of \(payload.count) bytes, over the limit of \(maxMessageBytes)")
        }
        if kind == .text {
            guard UTF8Validator.isValid(payload) else {
                throw EnvelopeError(description: "a text message that is not valid UTF-8")
            }
        }
        self.init(topic: topic, origin: origin, message: PreparedMessage(kind, payload: payload))
    }
}
