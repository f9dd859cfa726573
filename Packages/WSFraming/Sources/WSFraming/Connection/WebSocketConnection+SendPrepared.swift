extension WebSocketConnection {
    /// Whether `message` may go out as the frame it already is: a server's (unmasked) frame,
    /// no transform that encodes it, no fragmentation of it, no message in fragments unfinished.
    func sendsAsPrepared(_ message: PreparedMessage, applyingTransform: Bool) -> Bool {
        guard role == .server, state == .open, outboundFragmentKind == nil, !isFragmented(message.payloadCount) else { return false }
        if applyingTransform, let transform, transform.encodes(count: message.payloadCount, kind: message.kind) { return false }
        return true
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
        if sendsAsPrepared(message, applyingTransform: applyingTransform) {
            message.withUnsafeFrame { frame in sink.append(count: frame.count) { $0.copyMemory(from: frame) } }
            return
        }
        try message.withUnsafePayload { (payload) throws(FramingError) in
            try send(message.kind, payload: payload, applyingTransform: applyingTransform, into: &sink)
        }
    }

    /// Writes a prepared message into memory the caller provides, as
    /// ``send(_:applyingTransform:into:)-(_,_,UnsafeMutableRawBufferPointer)`` does for a message's bytes.
    ///
    /// - Returns: the number of bytes written; or `nil`, having written nothing, when the
    ///   message may need more than `destination` holds or the transform would encode it.
    /// - Throws: ``FramingError`` (local) as ``sendText(_:into:)`` does; nothing is written then.
    public mutating func send(
        _ message: PreparedMessage, applyingTransform: Bool = true, into destination: UnsafeMutableRawBufferPointer
    ) throws(FramingError) -> Int? {
        if sendsAsPrepared(message, applyingTransform: applyingTransform) {
            guard message.frameCount <= destination.count else { return nil }
            return message.withUnsafeFrame { frame in
                destination.copyMemory(from: frame)
                return frame.count
            }
        }
        return try message.withUnsafePayload { (payload) throws(FramingError) -> Int? in
            try send(message.kind, payload: payload, applyingTransform: applyingTransform, into: destination)
        }
    }
}
