/// A message framed once for many receivers: a broadcast, a topic's publish.
///
/// A server's frames are not masked, so an uncompressed message is the same bytes on every
/// connection that sends it: a group of 10,000 members copies one frame 10,000 times instead
/// of encoding it 10,000 times. ``WebSocketConnection/send(_:applyingTransform:into:)-(PreparedMessage,_,UnsafeMutableRawBufferPointer)``
/// copies the frame as it is when the rules allow it, and encodes the payload as any message
/// otherwise: on a client (whose frames are masked, each with a key of its own), when
/// permessage-deflate compresses the message, when the configuration fragments it, or while
/// a message sent in fragments is unfinished. So a prepared message can go to any connection.
///
/// ```swift
/// let frame = PreparedMessage(.text, payload: Array("hello, all".utf8))
/// for var member in members { try member.send(frame, into: &sink) }
/// ```
public struct PreparedMessage: Sendable, Hashable {
    /// Text or binary.
    public let kind: MessageKind
    /// The frame: its header (FIN, no RSV bit, no mask) and then the payload.
    @usableFromInline let frame: [UInt8]
    /// Where the payload starts in ``frame``.
    @usableFromInline let headerCount: Int

    /// Frames `payload` as one unmasked frame of `kind`.
    ///
    /// - Parameters:
    ///   - kind: text or binary; a text payload must be valid UTF-8 (it is sent as it is).
    ///   - payload: the message's bytes, copied.
    public init(_ kind: MessageKind, payload: UnsafeRawBufferPointer) {
        let header = FrameHeader(opcode: kind.opcode, payloadLength: payload.count)
        self.kind = kind
        headerCount = header.encodedSize
        frame = [UInt8](unsafeUninitializedCapacity: header.encodedSize &+ payload.count) { memory, count in
            count = FrameWriter.write(header, payload: payload, into: UnsafeMutableRawBufferPointer(memory))
        }
    }

    /// Frames `payload` as one unmasked frame of `kind`.
    public init(_ kind: MessageKind, payload: [UInt8]) {
        self = payload.withUnsafeBytes { PreparedMessage(kind, payload: $0) }
    }

    /// Frames a text message.
    public init(text: String) {
        var text = text
        self = text.withUTF8 { PreparedMessage(.text, payload: UnsafeRawBufferPointer($0)) }
    }

    /// The payload's length in bytes.
    public var payloadCount: Int { frame.count &- headerCount }

    /// The whole frame's length in bytes: what a server that sends it as it is writes.
    public var frameCount: Int { frame.count }

    /// Calls `body` with the message's bytes lent: what a broadcast reads once and hands to
    /// each of its connections, with no reference counting per connection.
    @inlinable
    public func withLent<Result, Failure: Error>(_ body: (Lent) throws(Failure) -> Result) throws(Failure) -> Result {
        try withUnsafeFrame { (frame) throws(Failure) in try body(Lent(kind: kind, frame: frame, headerCount: headerCount)) }
    }

    /// A prepared message's bytes, lent for the length of a call (``withLent(_:)``): they
    /// must not be kept beyond it.
    public struct Lent {
        /// Text or binary.
        public let kind: MessageKind
        /// The whole frame, header and payload.
        public let frame: UnsafeRawBufferPointer
        /// Where the payload starts in ``frame``.
        public let headerCount: Int

        @usableFromInline init(kind: MessageKind, frame: UnsafeRawBufferPointer, headerCount: Int) {
            self.kind = kind
            self.frame = frame
            self.headerCount = headerCount
        }

        /// The payload's bytes.
        @inlinable public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: frame[headerCount...]) }
    }

    /// Calls `body` with the payload's bytes.
    @inlinable
    public func withUnsafePayload<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withUnsafeFrame { (bytes) throws(Failure) in try body(UnsafeRawBufferPointer(rebasing: bytes[headerCount...])) }
    }

    /// Calls `body` with the frame's bytes, header and payload.
    @inlinable
    public func withUnsafeFrame<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let result: Swift.Result<Result, Failure> = frame.withUnsafeBytes { bytes in
            do throws(Failure) { return .success(try body(bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
