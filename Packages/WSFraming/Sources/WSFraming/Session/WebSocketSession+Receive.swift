extension WebSocketSession {
    /// Notes that bytes arrived at `now`: the peer is alive. Call it once per read, before
    /// decoding; the messages of the read count against the rate limit at this time.
    public mutating func bytesArrived(at now: Instant) {
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
            event = try connection.nextEvent(from: &input, replies: &replies)
        } catch {
            violation(error)
            throw error
        }
        guard let event else { return nil }
        switch event {
        case .text, .binary, .fragment:
            if rateBucket != nil, !admitMessage(into: &replies) {
                input = input.emptyEnd
                return nil
            }
        case .ping(let payload):
            answerPing(payload, into: &replies)
        case .pong(let payload):
            pongArrived(payload)
        case .close:
            closeReceived()
        }
        return event
    }

    /// ``nextEvent(from:replies:)`` without an allocation for the commonest message, as
    /// ``WebSocketConnection/nextBorrowedEvent(from:replies:)`` lends it.
    ///
    /// - Throws: ``FramingError`` as ``nextEvent(from:replies:)`` does.
    public mutating func nextBorrowedEvent(
        from input: inout UnsafeRawBufferPointer, replies: inout some ByteSink
    ) throws(FramingError) -> WebSocketConnection.BorrowedEvent? {
        let event: WebSocketConnection.BorrowedEvent?
        do throws(FramingError) {
            event = try connection.nextBorrowedEvent(from: &input, replies: &replies)
        } catch {
            violation(error)
            throw error
        }
        switch event {
        case .message, .event(.text), .event(.binary), .event(.fragment):
            // The rate limit costs a nil check per message when there is none.
            if rateBucket != nil, !admitMessage(into: &replies) {
                input = input.emptyEnd
                return nil
            }
        case .event(.ping(let payload)):
            answerPing(payload, into: &replies)
        case .event(.pong(let payload)):
            pongArrived(payload)
        case .event(.close):
            closeReceived()
        case nil:
            break
        }
        return event
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
        let outcome = connection.receiveEndOfInput(reason: localReason ?? "")
        phase = .closed(outcome)
        pending = Actions()
        owedPong = nil
        return outcome
    }

    // MARK: - Policies of the read

    /// Takes a token of the message rate limit; over it, sends a Close with 1008 and ends
    /// the connection: the transport closes once the Close is written.
    private mutating func admitMessage(into replies: inout some ByteSink) -> Bool {
        guard var bucket = rateBucket else { return true }
        defer { rateBucket = bucket }
        if bucket.take(now: UInt64(clamping: origin.duration(to: readTime).nanoseconds)) { return true }
        localReason = "message rate limit exceeded"
        try? connection.sendClose(code: .policyViolation, reason: "message rate limit exceeded", into: &replies)
        finish(now: readTime, transport: .closeAfterWrites)
        pending.write = true
        return false
    }

    /// Answers a Ping when pongs are automatic: at once within the budget, else later, and
    /// only the latest (RFC 6455 §5.5.3).
    private mutating func answerPing(_ payload: [UInt8], into replies: inout some ByteSink) {
        guard configuration.framing.pongPolicy == .automatic, connection.sentClose == nil else { return }
        switch outbound {
        case .withinBudget:
            try? connection.sendPong(payload, into: &replies)
            pending.write = true
        case .overBudget:
            owedPong = payload
        }
    }

    private mutating func pongArrived(_ payload: [UInt8]) {
        if let roundTrip = keepAlive?.pongReceived(payload, at: readTime) { lastKeepAliveRoundTrip = roundTrip }
    }

    /// The peer's Close: the connection has answered it (or it answers ours). A server
    /// closes the transport once the answer is written; a client gives the server the close
    /// timeout to close it first (RFC 6455 §7.1.1).
    private mutating func closeReceived() {
        pending.write = true
        finish(now: readTime, transport: connection.role == .server ? .closeAfterWrites : nil)
    }

    /// A protocol violation: the connection wrote its Close (or holds it, with a deferred
    /// failure policy, until ``completeFailure(at:into:)``).
    private mutating func violation(_ error: FramingError) {
        if connection.pendingFailure != nil {
            let due = readTime.advanced(by: min(configuration.closeTimeout, Self.maxFailureDelay))
            failureDeadline = due
            pending.merge(Actions(deadline: due))
        } else {
            pending.write = true
            finish(now: readTime, transport: .closeAfterWrites)
        }
    }

    /// The WebSocket is closed on this side: the transport closes by the close deadline.
    mutating func finish(now: Instant, transport: Actions.Transport?) {
        owedPong = nil
        failureDeadline = nil
        let deadline: Instant
        switch phase {
        case .closing(let existing), .finishing(let existing): deadline = existing
        case .open: deadline = now.advanced(by: configuration.closeTimeout)
        case .closed: return
        }
        phase = .finishing(deadline: deadline)
        pending.merge(Actions(transport: transport, deadline: deadline))
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : scaled &+ attoseconds / 1_000_000_000
    }
}
