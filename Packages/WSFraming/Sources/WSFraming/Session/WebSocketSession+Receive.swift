extension WebSocketSession {
    /// Notes that bytes arrived at `now`: the peer is alive. Call it once per read, before
    /// decoding; the messages of the read count against the rate limit at this time.
    public mutating func bytesArrived(at now: WebSocketSession.Instant) {
        readTime = now
        lastActivity = now
        keepAlive?.received(at: now)
    }

    /// The next event in `input`, as ``WebSocketConnection/nextEvent(from:replies:)`` gives it,
    /// after the session's policies: Pings are answered into `replies` (only the latest while
    /// over the budget), keepalive Pongs settle the keepalive, a message over the rate limit
    /// ends the connection with 1008 (it and the rest of `input` are dropped: `nil`).
    ///
    /// - Throws: ``FramingError`` when the peer broke the protocol, as the connection does;
    ///   ``readCompleted()`` then says how the transport closes.
    public mutating func nextEvent(
        from input: inout UnsafeRawBufferPointer, replies: inout some ByteSink
    ) throws(FramingError) -> WebSocketConnection.Event? {
        let event: WebSocketConnection.Event?
        do throws(FramingError) {
            event = try _connection.nextEvent(from: &input, replies: &replies)
        } catch {
            violation(error)
            throw error
        }
        guard let event else { return nil }
        guard apply(event, into: &replies) else {
            input = input.emptyEnd
            return nil
        }
        return event
    }

    /// Makes the connection unmask the messages it lends out into `buffer`, shared with other
    /// connections decoded one at a time: ``WebSocketConnection/shareUnmaskBuffer(_:)``.
    public mutating func shareUnmaskBuffer(_ buffer: UnmaskBuffer) {
        _connection.shareUnmaskBuffer(buffer)
    }

    /// ``nextEvent(from:replies:)`` without an allocation for the commonest message, as
    /// ``WebSocketConnection/nextBorrowedEvent(from:replies:)`` lends it.
    ///
    /// - Throws: ``FramingError`` as ``nextEvent(from:replies:)`` does.
    @inlinable
    public mutating func nextBorrowedEvent(
        from input: inout UnsafeRawBufferPointer, replies: inout some ByteSink
    ) throws(FramingError) -> WebSocketConnection.BorrowedEvent? {
        // Inlined into the I/O layer: a lent message costs a nil check beyond the connection's work.
        let event: WebSocketConnection.BorrowedEvent?
        do throws(FramingError) {
            event = try _connection.nextBorrowedEvent(from: &input, replies: &replies)
        } catch {
            violation(error)
            throw error
        }
        switch event {
        case .message?:
            if rateBucket != nil, !admitMessage(into: &replies) {
                input = input.emptyEnd
                return nil
            }
            return event
        case .event(let other)?:
            guard apply(other, into: &replies) else {
                input = input.emptyEnd
                return nil
            }
            return event
        case nil:
            return nil
        }
    }

    /// The session's policies for an event that is not a lent message.
    ///
    /// - Returns: `false` when the event is over the rate limit: it and the rest of the input are dropped.
    @usableFromInline
    mutating func apply(_ event: WebSocketConnection.Event, into replies: inout some ByteSink) -> Bool {
        switch event {
        case .text, .binary, .fragment:
            if rateBucket != nil, !admitMessage(into: &replies) { return false }
        case .ping(let payload):
            answerPing(payload, into: &replies)
        case .pong(let payload):
            pongArrived(payload)
        case .close:
            closeReceived()
        }
        return true
    }

    /// Ends the processing of a read: what the session decided while decoding it (write the
    /// replies, pause reading, close the transport, a deadline to set).
    public mutating func readCompleted() -> Actions {
        takeActions()
    }

    /// Reports that the transport is gone: the peer closed it, it broke, or the I/O layer
    /// closed it as an earlier action asked.
    ///
    /// - Returns: how the connection ended: the close handshake's outcome (clean), the
    ///   failure's, or 1006 (not clean) with the reason this side had for closing, if any
    ///   (RFC 6455 §7.1.5).
    @discardableResult
    public mutating func endOfInput() -> CloseOutcome {
        if let outcome { return outcome }
        let outcome = _connection.receiveEndOfInput(reason: localReason ?? "")
        phase = .closed(outcome)
        pending = Actions()
        owedPong = nil
        return outcome
    }

    // MARK: - Policies of the read

    /// Takes a token of the message rate limit; over it, sends a Close with 1008 and ends
    /// the connection: the transport closes once the Close is written.
    @usableFromInline mutating func admitMessage(into replies: inout some ByteSink) -> Bool {
        guard var bucket = rateBucket else { return true }
        defer { rateBucket = bucket }
        if bucket.take(now: UInt64(clamping: origin.duration(to: readTime).wholeNanoseconds)) { return true }
        localReason = "message rate limit exceeded"
        try? _connection.sendClose(code: .policyViolation, reason: "message rate limit exceeded", into: &replies)
        finish(now: readTime, transport: .closeAfterWrites)
        pending.write = true
        return false
    }

    /// Answers a Ping when pongs are automatic: at once within the budget, else later, and
    /// only the latest (RFC 6455 §5.5.3).
    private mutating func answerPing(_ payload: [UInt8], into replies: inout some ByteSink) {
        guard configuration.framing.pongPolicy == .automatic, _connection.sentClose == nil else { return }
        switch outbound {
        case .withinBudget:
            try? _connection.sendPong(payload, into: &replies)
            pending.write = true
        case .overBudget:
            owedPong = payload
        }
    }

    private mutating func pongArrived(_ payload: [UInt8]) {
        if let roundTrip = keepAlive?.pongReceived(payload, at: readTime) {
            lastKeepAliveRoundTrip = roundTrip
            keepAliveAnswers &+= 1
        }
    }

    /// The peer's Close: the connection has answered it (or it answers ours). A server
    /// closes the transport once the answer is written; a client gives the server the close
    /// timeout to close it first (RFC 6455 §7.1.1).
    private mutating func closeReceived() {
        pending.write = true
        finish(now: readTime, transport: _connection.role == .server ? .closeAfterWrites : nil)
    }

    /// A protocol violation: the connection wrote its Close (or holds it, with a deferred
    /// failure policy, until ``completeFailure(at:into:)``).
    @usableFromInline mutating func violation(_ error: FramingError) {
        if _connection.pendingFailure != nil {
            let due = readTime.advanced(by: min(configuration.closeTimeout, Self.maxFailureDelay))
            failureDeadline = due
            pending.merge(Actions(deadline: due))
        } else {
            pending.write = true
            finish(now: readTime, transport: .closeAfterWrites)
        }
    }

    /// The WebSocket is closed on this side: the transport closes by the close deadline.
    mutating func finish(now: WebSocketSession.Instant, transport: Actions.Transport?) {
        owedPong = nil
        failureDeadline = nil
        let deadline: WebSocketSession.Instant
        switch phase {
        case .closing(let existing), .finishing(let existing): deadline = existing
        case .open: deadline = now.advanced(by: configuration.closeTimeout)
        case .closed: return
        }
        phase = .finishing(deadline: deadline)
        pending.merge(Actions(transport: transport, deadline: deadline))
    }
}
