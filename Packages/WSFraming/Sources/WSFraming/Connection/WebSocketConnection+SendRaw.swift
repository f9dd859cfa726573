extension WebSocketConnection {
    /// The most bytes `send(_:payload:into:)` (the raw form) writes for a
    /// message of `count` bytes: the payload and the header of each frame it is cut into.
    /// `nil` when the negotiated transform (compression) would encode it, which makes the
    /// size unknowable in advance.
    public func maxEncodedSize(ofMessage count: Int, kind: MessageKind = .binary, applyingTransform: Bool = true) -> Int? {
        if applyingTransform, let transform, transform.encodes(count: count, kind: kind) { return nil }
        var frames = 1
        if case .framesOfAtMost(let size) = configuration.fragmentation, size > 0, count > size {
            frames = (count + size - 1) / size
        }
        return count + frames * FrameHeader.maxEncodedSize
    }

    /// Whether a message of `count` bytes goes in several frames.
    func isFragmented(_ count: Int) -> Bool {
        if case .framesOfAtMost(let size) = configuration.fragmentation, size > 0, count > size { return true }
        return false
    }

    /// `send(_:payload:into:)` (the sink form) into memory the caller provides, such as the
    /// free space of its own write buffer: the encoder is specialized for it, with no generic
    /// sink in between.
    ///
    /// - Parameters:
    ///   - kind: text or binary.
    ///   - payload: the message's bytes.
    ///   - applyingTransform: `false` sends the message without the negotiated transform.
    ///   - destination: where the frames go, from its start.
    /// - Returns: the number of bytes written; or `nil`, having written nothing, when the
    ///   message may need more than `destination` holds (see ``maxEncodedSize(ofMessage:kind:applyingTransform:)``)
    ///   or the transform would encode it: then use the sink form.
    /// - Throws: ``FramingError`` (local) as ``sendText(_:into:)`` does; nothing is written then.
    public mutating func send(
        _ kind: MessageKind, payload: UnsafeRawBufferPointer, applyingTransform: Bool = true,
        into destination: UnsafeMutableRawBufferPointer
    ) throws(FramingError) -> Int? {
        guard let needed = maxEncodedSize(ofMessage: payload.count, kind: kind, applyingTransform: applyingTransform),
              needed <= destination.count else { return nil }
        if state == .open, outboundFragmentKind == nil, !isFragmented(payload.count) {
            // The common case, one plain frame, written here with no sink in between.
            let key: MaskingKey? = role == .client ? maskingKeys.next() : nil
            let header = FrameHeader(opcode: kind.opcode, maskingKey: key, payloadLength: payload.count)
            return FrameWriter.write(header, payload: payload, into: destination)
        }
        var sink = RawByteSink(destination)
        try send(kind, payload: payload, applyingTransform: false, into: &sink)
        return sink.count
    }
}

/// A ``ByteSink`` over raw memory that is large enough (the caller checked).
struct RawByteSink: ByteSink {
    let memory: UnsafeMutableRawBufferPointer
    var count = 0

    init(_ memory: UnsafeMutableRawBufferPointer) { self.memory = memory }

    @inline(__always)
    mutating func append(count added: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        body(UnsafeMutableRawBufferPointer(start: memory.baseAddress.map { $0 + count }, count: added))
        count &+= added
    }
}
