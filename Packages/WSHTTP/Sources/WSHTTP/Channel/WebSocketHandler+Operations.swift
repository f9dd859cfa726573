import Logging
import NIOCore
import WSFraming
import WSLogging

/// A ping of ``WebSocket/ping(timeout:)`` waiting for its Pong.
struct PingWaiter {
    var payload: [UInt8]
    var sentAt: ContinuousClock.Instant
    var promise: EventLoopPromise<Duration>
    var timer: Scheduled<Void>
}

extension WebSocketHandler {
    /// Sends a message; the future completes once it is queued, or, while more than the
    /// configured number of bytes wait for the socket, once they have drained.
    func send(_ message: WebSocketMessage) -> EventLoopFuture<Void> {
        guard let context else { return shared.eventLoop.makeFailedFuture(WebSocketError.closed(shared.outcome)) }
        do throws(FramingError) {
            switch message {
            case .text(let text): try connection.sendText(text, into: &outbound)
            case .binary(let bytes): try connection.sendBinary(bytes, into: &outbound)
            }
        } catch {
            return context.eventLoop.makeFailedFuture(sendError(error))
        }
        if !inReadCycle { flush() }
        guard !context.channel.isWritable else { return context.eventLoop.makeSucceededVoidFuture() }
        let promise = context.eventLoop.makePromise(of: Void.self)
        writabilityWaiters.append(promise)
        return promise.futureResult
    }

    /// Sends a message from the event loop, with no future: the fast path's send.
    ///
    /// - Returns: whether it was queued.
    func sendNow(_ kind: MessageKind, _ payload: UnsafeRawBufferPointer) -> Bool {
        guard context != nil else { return false }
        do throws(FramingError) {
            try connection.send(kind, payload: payload, into: &outbound)
        } catch {
            logger.debug("send refused", metadata: [WSLogKey.reason: "\(error.message)"])
            return false
        }
        if !inReadCycle { flush() }
        return true
    }

    /// Sends one fragment of a message sent in parts.
    func sendFragment(_ kind: MessageKind, _ bytes: [UInt8], isFinal: Bool) -> EventLoopFuture<Void> {
        guard let context else { return shared.eventLoop.makeFailedFuture(WebSocketError.closed(shared.outcome)) }
        do throws(FramingError) {
            try connection.sendFragment(kind, bytes, isFinal: isFinal, into: &outbound)
        } catch {
            return context.eventLoop.makeFailedFuture(sendError(error))
        }
        if !inReadCycle { flush() }
        return context.eventLoop.makeSucceededVoidFuture()
    }

    private func sendError(_ error: FramingError) -> WebSocketError {
        error.code == .connectionClosed ? .closed(shared.outcome ?? connection.outcome) : .invalidUse(error)
    }

    /// Starts the close handshake (if it has not started) and closes the TCP connection
    /// after `timeout` unless the peer completes it first.
    func startClose(code: CloseCode?, reason: String, timeout: Duration) {
        shared.markClosing()
        if connection.state == .open {
            do throws(FramingError) {
                try connection.sendClose(code: code, reason: reason, into: &outbound)
            } catch {
                logger.debug("close refused", metadata: [WSLogKey.reason: "\(error.message)"])
            }
            logger.debug("closing", metadata: [WSLogKey.closeCode: "\(code.map { "\($0)" } ?? "none")"])
            if !inReadCycle { flush() }
        }
        scheduleCloseTimer(timeout)
    }

    /// Sends a Ping with a payload of its own; the future gives the round-trip time.
    func ping(timeout: Duration) -> EventLoopFuture<Duration> {
        guard let context else { return shared.eventLoop.makeFailedFuture(WebSocketError.closed(shared.outcome)) }
        pingsSent &+= 1
        // 9 bytes, so that it can never be mistaken for a keepalive's 8-byte payload.
        let payload = [0x75] + withUnsafeBytes(of: pingsSent.bigEndian) { Array($0) }
        do throws(FramingError) {
            try connection.sendPing(payload, into: &outbound)
        } catch {
            return context.eventLoop.makeFailedFuture(sendError(error))
        }
        if !inReadCycle { flush() }
        let promise = context.eventLoop.makePromise(of: Duration.self)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let timer = context.eventLoop.scheduleTask(in: .init(timeout)) {
            bound.value.pingWaiters.removeAll { $0.payload == payload }
            promise.fail(WebSocketError(.pingTimeout, "no Pong within \(timeout)"))
        }
        pingWaiters.append(PingWaiter(payload: payload, sentAt: .now, promise: promise, timer: timer))
        return promise.futureResult
    }

    /// Settles the ping that `payload` answers; tells the keepalive.
    func pongReceived(_ payload: [UInt8]) {
        let now = ContinuousClock.now
        keepAlive?.pongReceived(payload, at: now)
        if let index = pingWaiters.firstIndex(where: { $0.payload == payload }) {
            let waiter = pingWaiters.remove(at: index)
            waiter.timer.cancel()
            waiter.promise.succeed(waiter.sentAt.duration(to: now))
        }
    }

    /// Fails every waiting ping and send.
    func failWaiters(_ error: WebSocketError) {
        let pings = pingWaiters
        pingWaiters = []
        for waiter in pings {
            waiter.timer.cancel()
            waiter.promise.fail(error)
        }
        let writers = writabilityWaiters
        writabilityWaiters = []
        writers.forEach { $0.fail(error) }
    }
}
