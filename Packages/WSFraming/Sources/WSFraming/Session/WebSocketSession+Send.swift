extension WebSocketSession {
    /// Writes a message into `sink`, as ``WebSocketConnection/send(_:payload:applyingTransform:into:)-(_,_,_,ByteSink)``
    /// does. The session does not refuse it over the budget: the I/O layer decides whether a
    /// send waits (``outbound`` says where the queue stands).
    ///
    /// - Throws: ``FramingError`` (local) once the close handshake has started, or while a
    ///   fragmented message is unfinished; nothing is written then.
    public mutating func send(
        _ kind: MessageKind, payload: UnsafeRawBufferPointer, applyingTransform: Bool = true, into sink: inout some ByteSink
    ) throws(FramingError) {
        try _connection.send(kind, payload: payload, applyingTransform: applyingTransform, into: &sink)
    }

    /// Writes a message into raw memory, as ``WebSocketConnection/send(_:payload:applyingTransform:into:)-(_,_,_,UnsafeMutableRawBufferPointer)``
    /// does: the fast path of an I/O layer that encodes straight into its write buffer.
    ///
    /// - Returns: the bytes written, or `nil` (nothing written) when the message may not fit
    ///   or the transform encodes it: then use the sink form.
    @inlinable
    public mutating func send(
        _ kind: MessageKind, payload: UnsafeRawBufferPointer, applyingTransform: Bool = true,
        into destination: UnsafeMutableRawBufferPointer
    ) throws(FramingError) -> Int? {
        try _connection.send(kind, payload: payload, applyingTransform: applyingTransform, into: destination)
    }

    /// Writes a message framed once for many connections, as
    /// ``WebSocketConnection/send(_:applyingTransform:into:)-(PreparedMessage,_,ByteSink)`` does.
    public mutating func send(
        _ message: PreparedMessage, applyingTransform: Bool = true, into sink: inout some ByteSink
    ) throws(FramingError) {
        try _connection.send(message, applyingTransform: applyingTransform, into: &sink)
    }

    /// Writes a message framed once for many connections into raw memory, as
    /// ``WebSocketConnection/send(_:applyingTransform:into:)-(PreparedMessage,_,UnsafeMutableRawBufferPointer)`` does.
    ///
    /// - Returns: the bytes written, or `nil` (nothing written) when it may not fit or the
    ///   transform encodes it: then use the sink form.
    public mutating func send(
        _ message: PreparedMessage, applyingTransform: Bool = true, into destination: UnsafeMutableRawBufferPointer
    ) throws(FramingError) -> Int? {
        try _connection.send(message, applyingTransform: applyingTransform, into: destination)
    }

    /// Whether a prepared message would go out as its frame, byte for byte, as
    /// ``WebSocketConnection/sendsAsIs(_:applyingTransform:)`` says.
    @inlinable
    public func sendsAsIs(_ message: PreparedMessage.Lent, applyingTransform: Bool = true) -> Bool {
        _connection.sendsAsIs(message, applyingTransform: applyingTransform)
    }

    /// Writes a prepared message lent for the call, as
    /// ``WebSocketConnection/send(_:applyingTransform:into:)-(PreparedMessage.Lent,_,ByteSink)`` does.
    public mutating func send(
        _ message: PreparedMessage.Lent, applyingTransform: Bool = true, into sink: inout some ByteSink
    ) throws(FramingError) {
        try _connection.send(message, applyingTransform: applyingTransform, into: &sink)
    }

    /// Writes a prepared message lent for the call into raw memory, as
    /// ``WebSocketConnection/send(_:applyingTransform:into:)-(PreparedMessage.Lent,_,UnsafeMutableRawBufferPointer)`` does.
    ///
    /// - Returns: the bytes written, or `nil` (nothing written) when it may not fit or the
    ///   transform encodes it: then use the sink form.
    @inlinable
    public mutating func send(
        _ message: PreparedMessage.Lent, applyingTransform: Bool = true, into destination: UnsafeMutableRawBufferPointer
    ) throws(FramingError) -> Int? {
        try _connection.send(message, applyingTransform: applyingTransform, into: destination)
    }

    /// Writes one fragment of a message sent in parts (RFC 6455 §5.4), as
    /// ``WebSocketConnection/sendFragment(_:_:isFinal:applyingTransform:into:)-(_,UnsafeRawBufferPointer,_,_,_)`` does.
    public mutating func sendFragment(
        _ kind: MessageKind, _ payload: UnsafeRawBufferPointer, isFinal: Bool, applyingTransform: Bool = true,
        into sink: inout some ByteSink
    ) throws(FramingError) {
        try _connection.sendFragment(kind, payload, isFinal: isFinal, applyingTransform: applyingTransform, into: &sink)
    }

    /// Writes one fragment of a message sent in parts, from an array.
    public mutating func sendFragment(
        _ kind: MessageKind, _ payload: [UInt8], isFinal: Bool, applyingTransform: Bool = true, into sink: inout some ByteSink
    ) throws(FramingError) {
        try _connection.sendFragment(kind, payload, isFinal: isFinal, applyingTransform: applyingTransform, into: &sink)
    }

    /// The most bytes a message of `count` bytes takes on the wire, or `nil` when a transform
    /// encodes it (see ``WebSocketConnection/maxEncodedSize(ofMessage:kind:applyingTransform:)``).
    public func maxEncodedSize(ofMessage count: Int, kind: MessageKind = .binary, applyingTransform: Bool = true) -> Int? {
        _connection.maxEncodedSize(ofMessage: count, kind: kind, applyingTransform: applyingTransform)
    }

    /// Writes a Ping of the user's (at most 125 bytes). Keepalive pings are the session's own.
    ///
    /// - Throws: ``FramingError`` (local) for a longer payload, or once this side sent its Close.
    public mutating func sendPing(_ payload: [UInt8], into sink: inout some ByteSink) throws(FramingError) {
        try _connection.sendPing(payload, into: &sink)
    }

    /// Writes a Pong (at most 125 bytes): an unsolicited one (RFC 6455 §5.5.3), or the answer
    /// to a Ping when pongs are manual.
    ///
    /// - Throws: ``FramingError`` (local) for a longer payload, or once this side sent its Close.
    public mutating func sendPong(_ payload: [UInt8], into sink: inout some ByteSink) throws(FramingError) {
        try _connection.sendPong(payload, into: &sink)
    }

    /// Starts the close handshake (RFC 6455 §7.1.2): writes a Close with `code` and `reason`
    /// and waits up to `timeout` for the peer's, after which the transport is closed at once.
    /// A violation whose Close was held back sends that Close instead. Once the Close was
    /// sent, it only brings the deadline forward when `timeout` ends sooner.
    ///
    /// - Parameters:
    ///   - code: the status to send; `nil` sends an empty Close payload. Default 1000.
    ///   - reason: UTF-8, at most 123 bytes; only sent with a code.
    ///   - timeout: how long to wait for the peer's Close; the configuration's close timeout
    ///     when `nil`.
    ///   - now: the current time: the deadline counts from it.
    ///   - sink: where the Close frame goes.
    /// - Returns: what the I/O layer must do: write the Close, and the deadline to set.
    /// - Throws: ``FramingError`` (local) for a code that may not be sent or a reason too long;
    ///   nothing is written then.
    public mutating func close(
        code: CloseCode? = .normalClosure, reason: String = "", timeout: Duration? = nil, at now: WebSocketSession.Instant,
        into sink: inout some ByteSink
    ) throws(FramingError) -> Actions {
        if _connection.pendingFailure != nil { return completeFailure(at: now, into: &sink) }
        let due = now.advanced(by: timeout ?? configuration.closeTimeout)
        switch phase {
        case .open:
            try _connection.sendClose(code: code, reason: reason, into: &sink)
            phase = .closing(deadline: due)
            owedPong = nil
            pending.merge(Actions(write: true, deadline: due))
        case .closing(let deadline):
            if due < deadline { phase = .closing(deadline: due) }
            pending.merge(Actions(deadline: min(due, deadline)))
        case .finishing(let deadline):
            if due < deadline { phase = .finishing(deadline: due) }
            pending.merge(Actions(deadline: min(due, deadline)))
        case .closed:
            break
        }
        return takeActions()
    }

    /// Writes the Close of a violation that the deferred failure policy held back, once the
    /// consumer has handled the messages before it; the transport closes once it is written.
    /// Does nothing when no failure is held.
    public mutating func completeFailure(at now: WebSocketSession.Instant, into sink: inout some ByteSink) -> Actions {
        guard _connection.pendingFailure != nil else { return takeActions() }
        _connection.completeFailure(into: &sink)
        pending.write = true
        finish(now: now, transport: .closeAfterWrites)
        return takeActions()
    }
}
