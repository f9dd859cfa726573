extension WebSocketSession {
    /// Decides what is due at `now`: a keepalive Ping, the end of a connection whose Pong did
    /// not come (a Close with 1011, then the transport closed once it is written, or at the
    /// close deadline if the peer does not read), an idle connection's Close (1001), a held violation's Close, or the
    /// transport's end when the close deadline has passed. A call before anything is due
    /// changes nothing and only answers the next deadline.
    public mutating func timerFired(at now: WebSocketSession.Instant, into sink: inout some ByteSink) -> Actions {
        switch phase {
        case .open:
            if let due = failureDeadline, now >= due { return completeFailure(at: now, into: &sink) }
            if let idle = configuration.idleTimeout, now >= lastActivity.advanced(by: idle) {
                return closeLocally(.goingAway, reason: "idle timeout", localReason: "idle timeout: no data for \(idle)", at: now, into: &sink)
            }
            if var keepAlive {
                let action = keepAlive.timerFired(at: now)
                self.keepAlive = keepAlive
                switch action {
                case .wait:
                    break
                case .sendPing(let payload):
                    try? _connection.sendPing(payload, into: &sink)
                    pending.write = true
                case .timedOut:
                    // The peer is presumed dead: the connection fails (RFC 6455 §7.1.7), with no
                    // wait for an answer to the Close; only for its writes, by the close deadline.
                    localReason = "keepalive: no Pong within \(keepAlive.timeout)"
                    try? _connection.sendClose(code: .internalError, reason: "keepalive ping timeout", into: &sink)
                    pending.write = true
                    finish(now: now, transport: .closeAfterWrites)
                }
            }
        case .closing(let deadline):
            if now >= deadline {
                localReason = localReason ?? "close timeout: no Close from the peer within \(configuration.closeTimeout)"
                pending.transport = .closeNow
            }
        case .finishing(let deadline):
            if now >= deadline {
                localReason = localReason ?? (_connection.role == .client
                    ? "close timeout: the server did not close the connection within \(configuration.closeTimeout)"
                    : "close timeout: what was queued for the peer did not drain within \(configuration.closeTimeout)")
                pending.transport = .closeNow
            }
        case .closed:
            return takeActions()
        }
        var actions = takeActions()
        if actions.transport != .closeNow, let next = nextDeadline { actions.merge(Actions(deadline: next)) }
        return actions
    }

    /// This side ends the connection on its own (a timeout): a Close with `code`, then the
    /// close deadline. The outcome, if no Close comes back, is 1006 with `localReason`.
    private mutating func closeLocally(
        _ code: CloseCode, reason: String, localReason: String, at now: WebSocketSession.Instant, into sink: inout some ByteSink
    ) -> Actions {
        self.localReason = localReason
        var actions = (try? close(code: code, reason: reason, at: now, into: &sink)) ?? takeActions()
        if let next = nextDeadline { actions.merge(Actions(deadline: next)) }
        return actions
    }
}
