extension WebSocketConnection {
    /// The most bytes `send(_:payload:into:)` (the raw form) writes for a
    /// message of `count` bytes: the payload and the header of each frame it is cut into.
    /// `nil` when a transform (compression) makes the size unknowable in advance.
    public func maxEncodedSize(ofMessage count: Int) -> Int? {
        guard transform == nil else { return nil }
        var frames = 1
        if case .framesOfAtMost(let size) = configuration.fragmentation, size > 0, count > size {
            frames = (count + size - 1) / size
        }
        return count + frames * FrameHeader.maxEncodedSize
    }

    /// `send(_:payload:into:)` (the sink form) into memory the caller provides, such as the
    /// free space of its own write buffer: the encoder is specialized for it, with no generic
    /// sink in between.
    ///
    /// - Parameter destination: at least ``maxEncodedSize(ofMessage:)`` bytes (a precondition).
    /// - Returns: the number of bytes written, from the start of `destination`.
    /// - Throws: ``FramingError`` (local) as ``sendText(_:into:)`` does; nothing is written then.
    public mutating func send(
        _ kind: MessageKind, payload: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) throws(FramingError) -> Int {
        precondition(maxEncodedSize(ofMessage: payload.count).map { destination.count >= $0 } ?? false,
                     "destination is smaller than maxEncodedSize(ofMessage:), or a transform is in use")
        var sink = RawByteSink(destination)
        try send(kind, payload: payload, into: &sink)
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
