extension WebSocketConnection {
    /// The largest message that ``nextBorrowedEvent(from:replies:)`` lends out (64 KiB);
    /// larger ones are delivered as values.
    public static let maxBorrowedPayloadSize = 64 << 10

    /// An event from ``nextBorrowedEvent(from:replies:)``: a message whose payload is
    /// borrowed, or any other event as a value.
    public enum BorrowedEvent {
        /// A whole message that arrived in one frame: its payload, unmasked (and, for text,
        /// validated UTF-8). It points into the input, or into the connection's unmask buffer
        /// when it had to be unmasked, and is valid until the next call on the connection (on
        /// any connection sharing that buffer: ``shareUnmaskBuffer(_:)``) or until the input's
        /// memory changes. Copy what must live longer.
        case message(MessageKind, UnsafeRawBufferPointer)
        /// Any other event: messages assembled from fragments, split across inputs or larger
        /// than ``maxBorrowedPayloadSize``; control frames.
        case event(Event)
    }

    /// ``nextEvent(from:replies:)`` without an allocation for the commonest message: one that
    /// comes in one frame, whole in `input`, of at most ``maxBorrowedPayloadSize``
    /// bytes, is handed out borrowed, so that a receiver can use it (echo it, parse it) and
    /// copy nothing it does not keep. Masked payloads are unmasked in one pass into the
    /// connection's unmask buffer (its own, or one it shares: ``shareUnmaskBuffer(_:)``), so
    /// `input` is never written.
    ///
    /// - Parameters:
    ///   - input: received bytes; advanced past what was consumed.
    ///   - replies: as for ``nextEvent(from:replies:)``.
    /// - Throws: ``FramingError`` as ``nextEvent(from:replies:)`` does.
    public mutating func nextBorrowedEvent(
        from input: inout UnsafeRawBufferPointer, replies: inout some ByteSink
    ) throws(FramingError) -> BorrowedEvent? {
        if frame == nil, let lent = lendSmallFrame(&input) { return lent }
        let decoded: Decoded?
        do throws(FramingError) {
            decoded = try readEvent(&input, borrowing: true)
        } catch {
            failAndFlush(error, input: &input, replies: &replies)
            throw error
        }
        if !replyBuffer.isEmpty { flushReplies(into: &replies) }
        switch decoded {
        case .owned(let event): return .event(event)
        case .borrowed(let kind, let payload): return .message(kind, payload)
        case nil: return nil
        }
    }

    /// The commonest frame, decoded without the general path: a final text or binary frame
    /// with a 7-bit length, masked as the role requires, whole at the start of `input`,
    /// between messages. Anything else (and anything wrong, such as invalid UTF-8) returns
    /// `nil` with `input` untouched, for the general path to decode or refuse.
    @inline(__always)
    private mutating func lendSmallFrame(_ input: inout UnsafeRawBufferPointer) -> BorrowedEvent? {
        guard input.count >= 2, let p = input.baseAddress, pendingHeader.isEmpty, message.kind == nil,
              state == .open, pendingFailure == nil, configuration.delivery == .whole else { return nil }
        let b0 = p.load(as: UInt8.self)
        let b1 = p.load(fromByteOffset: 1, as: UInt8.self)
        let length = Int(b1 & 0x7F)
        let masked = b1 & 0x80 != 0
        guard b0 == 0x81 || b0 == 0x82, length < 126, masked == (role == .server) else { return nil }
        let headerSize = masked ? 6 : 2
        guard input.count >= headerSize &+ length, length <= configuration.maxFrameSize,
              length <= configuration.maxMessageSize else { return nil }
        let key = masked ? MaskingKey(memoryOrder: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self)) : nil
        let payload = unmaskedForBorrowing(UnsafeRawBufferPointer(start: p + headerSize, count: length), key: key)
        let kind: MessageKind = b0 == 0x81 ? .text : .binary
        guard kind == .binary || UTF8Validator.isValid(payload) else { return nil }
        input = input.dropping(headerSize &+ length)
        return .message(kind, payload)
    }

    /// `payload` unmasked: itself when there is no key, else a copy in `borrowedPayload`.
    mutating func unmaskedForBorrowing(_ payload: UnsafeRawBufferPointer, key: MaskingKey?) -> UnsafeRawBufferPointer {
        guard let key, !payload.isEmpty else { return payload }
        if borrowedPayload == nil || borrowedPayload!.capacity < payload.count {
            borrowedPayload = UnmaskBuffer(capacity: payload.count)
        }
        let out = borrowedPayload!.bytes(count: payload.count)
        key.mask(from: payload, to: out)
        return UnsafeRawBufferPointer(out)
    }

    /// Makes the connection unmask the messages it lends out
    /// (``nextBorrowedEvent(from:replies:)``) into `buffer` instead of memory of its own,
    /// which it would keep for its whole life (256 bytes or more, grown to the largest lent
    /// message). Share one buffer among connections that are decoded one at a time, such as
    /// those of one event loop: a lent payload is then valid until the next call on *any* of
    /// them that decodes. A message larger than `buffer` is unmasked into memory of the
    /// connection's own, as without it.
    public mutating func shareUnmaskBuffer(_ buffer: UnmaskBuffer) {
        borrowedPayload = buffer
    }
}

/// The memory into which connections unmask the messages they lend out: one allocation of at
/// least 256 bytes (a power of two). A connection makes its own, grown to its largest lent
/// message (at most ``WebSocketConnection/maxBorrowedPayloadSize``) and freed with it, unless
/// it is given one to share (``WebSocketConnection/shareUnmaskBuffer(_:)``).
///
/// Not `Sendable`: share one only among connections decoded on one thread.
public final class UnmaskBuffer {
    /// How many bytes it holds.
    public let capacity: Int
    private let storage: UnsafeMutableRawPointer

    /// A buffer of at least `capacity` bytes (the default: the largest message lent out).
    public init(capacity needed: Int = WebSocketConnection.maxBorrowedPayloadSize) {
        // Powers of two from 256 bytes, so that a growing connection reallocates rarely.
        capacity = max(256, 1 << (Int.bitWidth - (max(needed, 1) - 1).leadingZeroBitCount))
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    func bytes(count: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: storage, count: count)
    }

    deinit { storage.deallocate() }
}

@available(*, unavailable)
extension UnmaskBuffer: Sendable {}
