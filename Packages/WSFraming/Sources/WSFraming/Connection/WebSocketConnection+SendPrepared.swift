extension WebSocketConnection {
    /// Whether `message` may go out as the frame it already is: a server's (unmasked) frame,
    /// no transform that encodes it, no fragmentation of it, no message in fragments unfinished.
    @usableFromInline
    func sendsAsPrepared(_ kind: MessageKind, payloadCount: Int, applyingTransform: Bool) -> Bool {
        guard role == .server, state == .open, outboundFragmentKind == nil, !isFragmented(payloadCount) else { return false }
        if applyingTransform, let transform, transform.encodes(count: payloadCount, kind: kind) { return false }
        return true
    }

    /// Whether ``send(_:applyingTransform:into:)-(PreparedMessage.Lent,_,ByteSink)`` would write
    /// `message`'s frame as it is, byte for byte: what a transport that can hand the same bytes
    /// to many connections (a reference-counted buffer) asks before doing that instead. A frame
    /// so sent needs nothing else of this connection; any other case must go through `send`.
    ///
    /// - Parameters:
    ///   - message: the message framed once.
    ///   - applyingTransform: as for `send`: `false` if it goes uncompressed.
    @inlinable
    public func sendsAsIs(_ message: PreparedMessage.Lent, applyingTransform: Bool = true) -> Bool {
        sendsAsPrepared(message.kind, payloadCount: message.frame.count &- message.headerCount, applyingTransform: applyingTransform)
    }

    /// Writes a message framed once for many connections (a broadcast): its frame as it is
    /// when this connection may send that, else its payload encoded as ``send(_:payload:applyingTransform:into:)-(_,_,_,ByteSink)``
    /// does (a client's mask, compression, fragmentation). The same rules and errors as that.
    ///
    /// - Parameters:
    ///   - message: the message and its frame.
    ///   - applyingTransform: `false` sends it without the negotiated transform (uncompressed).
    ///   - sink: where the frames go.
    /// - Throws: ``FramingError`` (local) as ``sendText(_:into:)`` does; nothing is written then.
    public mutating func send(
        _ message: PreparedMessage, applyingTransform: Bool = true, into sink: inout some ByteSink
    ) throws(FramingError) {
        try message.withLent { (lent) throws(FramingError) in try send(lent, applyingTransform: applyingTransform, into: &sink) }
    }

    /// Writes a prepared message into memory the caller provides, as
    /// ``send(_:payload:applyingTransform:into:)-(_,_,_,UnsafeMutableRawBufferPointer)`` does for a message's bytes.
    ///
    /// - Returns: the number of bytes written; or `nil`, having written nothing, when the
    ///   message may need more than `destination` holds or the transform would encode it.
    /// - Throws: ``FramingError`` (local) as ``sendText(_:into:)`` does; nothing is written then.
    public mutating func send(
        _ message: PreparedMessage, applyingTransform: Bool = true, into destination: UnsafeMutableRawBufferPointer
    ) throws(FramingError) -> Int? {
        try message.withLent { (lent) throws(FramingError) -> Int? in try send(lent, applyingTransform: applyingTransform, into: destination) }
    }

    /// Writes a prepared message lent for the call (``PreparedMessage/withLent(_:)``), as
    /// ``send(_:applyingTransform:into:)-(PreparedMessage,_,ByteSink)`` does.
    public mutating func send(
        _ message: PreparedMessage.Lent, applyingTransform: Bool = true, into sink: inout some ByteSink
    ) throws(FramingError) {
        if sendsAsPrepared(message.kind, payloadCount: message.frame.count &- message.headerCount, applyingTransform: applyingTransform) {
            let frame = message.frame
            sink.append(count: frame.count) { $0.copyMemory(from: frame) }
            return
        }
        try send(message.kind, payload: message.payload, applyingTransform: applyingTransform, into: &sink)
    }

    /// Writes a prepared message lent for the call into memory the caller provides, as
    /// ``send(_:applyingTransform:into:)-(PreparedMessage,_,UnsafeMutableRawBufferPointer)`` does.
    ///
    /// - Returns: the number of bytes written; or `nil`, having written nothing, when the
    ///   message may need more than `destination` holds or the transform would encode it.
    /// - Throws: ``FramingError`` (local) as ``sendText(_:into:)`` does; nothing is written then.
    @inlinable
    public mutating func send(
        _ message: PreparedMessage.Lent, applyingTransform: Bool = true, into destination: UnsafeMutableRawBufferPointer
    ) throws(FramingError) -> Int? {
        let frame = message.frame
        if sendsAsPrepared(message.kind, payloadCount: frame.count &- message.headerCount, applyingTransform: applyingTransform) {
            guard frame.count <= destination.count else { return nil }
            destination.copyMemory(from: frame)
            return frame.count
        }
        return try send(message.kind, payload: message.payload, applyingTransform: applyingTransform, into: destination)
    }
}
