import Logging
import NIOCore
import WSFraming
import WSLogging

extension WebSocketHandler {
    /// Starts the keepalive and idle timers of the configuration.
    func startTimers(context: ChannelHandlerContext) {
        if case .every(let interval, let timeout) = configuration.autoPing {
            keepAlive = KeepAlive(interval: interval, timeout: timeout, now: .now)
            scheduleKeepAlive()
        }
        if let idle = configuration.idleTimeout { scheduleIdleTimer(after: idle) }
    }

    func cancelTimers() {
        keepAliveTimer?.cancel()
        idleTimer?.cancel()
        closeTimer?.cancel()
        failureTimer?.cancel()
        failureTimer = nil
        keepAliveTimer = nil
        idleTimer = nil
        closeTimer = nil
    }

    /// Sets the keepalive timer for the deadline `KeepAlive` asks for; reading data moves the
    /// deadline, and a timer that fires early just sets itself again.
    private func scheduleKeepAlive() {
        guard let context, let keepAlive else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        keepAliveTimer = context.eventLoop.scheduleTask(in: .init(ContinuousClock.now.duration(to: keepAlive.nextDeadline))) {
            bound.value.keepAliveFired()
        }
    }

    private func keepAliveFired() {
        guard var keepAlive, connection.state == .open else { return }
        let action = keepAlive.timerFired(at: .now)
        self.keepAlive = keepAlive
        switch action {
        case .wait:
            break
        case .sendPing(let payload):
            logger.trace("keepalive ping")
            commitScratch()
            try? connection.sendPing(payload, into: &outbound)
            scheduleFlush()
        case .timedOut:
            logger.debug("keepalive ping timed out", metadata: [WSLogKey.closeCode: "1011"])
            if case .every(_, let timeout) = configuration.autoPing { localReason = "keepalive: no Pong within \(timeout)" }
            commitScratch()
            try? connection.sendClose(code: .internalError, reason: "keepalive ping timeout", into: &outbound)
            closeTransport(afterFlush: true)
            return
        }
        scheduleKeepAlive()
    }

    private func scheduleIdleTimer(after delay: Duration) {
        guard let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: .init(delay)) {
            bound.value.idleTimerFired()
        }
    }

    private func idleTimerFired() {
        guard let idle = configuration.idleTimeout, connection.state == .open else { return }
        let quiet = lastActivity.duration(to: .now)
        guard quiet >= idle else {
            scheduleIdleTimer(after: idle - quiet)
            return
        }
        logger.debug("idle timeout", metadata: [WSLogKey.closeCode: "1001"])
        startClose(code: .goingAway, reason: "idle timeout", timeout: configuration.closeTimeout)
    }

    /// Closes the TCP connection after `delay` unless it closes first.
    func scheduleCloseTimer(_ delay: Duration) {
        guard let context, closeTimer == nil else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        closeTimer = context.eventLoop.scheduleTask(in: .init(delay)) {
            bound.value.logger.debug("close timeout: closing the TCP connection")
            bound.value.localReason = bound.value.localReason ?? "close timeout: no Close from the peer within \(delay)"
            bound.value.closeTransport(afterFlush: false)
        }
    }
}
