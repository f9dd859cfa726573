extension WebSocketSession {
    /// Decides what is due at `now`: a keepalive Ping, the end of a connection whose Pong did
    /// not come (1011), an idle connection's Close (1001), a held violation's Close, or the
    /// transport's end when the close deadline has passed. A call before anything is due
    /// changes nothing and only answers the next deadline.
    public mutating func timerFired(at now: Instant, into sink: inout some ByteSink) -> Actions {
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
                    try? connection.sendPing(payload, into: &sink)
                    pending.write = true
                case .timedOut:
                    return closeLocally(.internalError, reason: "keepalive ping timeout",
                                        localReason: "keepalive: no Pong within \(keepAlive.timeout)", at: now, into: &sink)
                }
            }
        case .closing(let deadline):
            if now >= deadline {
                localReason = localReason ?? "close timeout: no Close from the peer within \(configuration.closeTimeout)"
                pending.transport = .closeNow
            }
        case .finishing(let deadline):
            if now >= deadline {
                localReason = localReason ?? (connection.role == .client
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
        _ code: CloseCode, reason: String, localReason: String, at now: Instant, into sink: inout some ByteSink
    ) -> Actions {
        self.localReason = localReason
        var actions = (try? close(code: code, reason: reason, at: now, into: &sink)) ?? takeActions()
        if let next = nextDeadline { actions.merge(Actions(deadline: next)) }
        return actions
    }
}
