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
    /// What a send from an async task needs to do next.
    enum SendResult {
        /// Queued; go on.
        case sent
        /// Queued, but more than the configured bytes wait for the socket: wait for this.
        case wait(EventLoopFuture<Void>)
        /// Not sent.
        case failed(WebSocketError)
    }

    /// Sends a message, on the event loop, for an async task.
    func send(_ message: WebSocketMessage, compress: Bool = true) -> SendResult {
        guard let context else { return .failed(WebSocketError.closed(shared.outcome)) }
        let failure = message.withUnsafeBytes { kind, bytes in encode(kind, bytes, compress: compress) }
        if let failure { return .failed(sendError(failure)) }
        scheduleFlush()
        guard !context.channel.isWritable else { return .sent }
        let promise = context.eventLoop.makePromise(of: Void.self)
        writabilityWaiters.append(promise)
        return .wait(promise.futureResult)
    }

    /// Sends a message from the event loop, with no future: the fast path's send.
    ///
    /// - Returns: whether it was queued.
    func sendNow(_ kind: MessageKind, _ payload: UnsafeRawBufferPointer, compress: Bool = true) -> Bool {
        guard context != nil else { return false }
        if let failure = encode(kind, payload, compress: compress) {
            logger.debug("send refused", metadata: [WSLogKey.reason: "\(failure.message)"])
            return false
        }
        scheduleFlush()
        return true
    }

    /// Encodes a message straight into the outbound buffer's free space, in one frame's room;
    /// a message that needs more (fragmented, or transformed) goes through the generic sink.
    ///
    /// - Returns: the error that refused it, or `nil` once it is queued.
    private func encode(_ kind: MessageKind, _ payload: UnsafeRawBufferPointer, compress: Bool) -> FramingError? {
        do throws(FramingError) {
            if let scratch {
                // Inside a read that lends messages: into the scratch, if the frame fits.
                if let count = try connection.send(kind, payload: payload, applyingTransform: compress, into: scratch.free) {
                    scratch.used &+= count
                    return nil
                }
                commitScratch()
            }
            var written: Int?
            var failure: FramingError?
            outbound.bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: payload.count &+ FrameHeader.maxEncodedSize) { memory in
                do throws(FramingError) {
                    written = try connection.send(kind, payload: payload, applyingTransform: compress, into: memory)
                } catch {
                    failure = error
                }
                return written ?? 0
            }
            if let failure { throw failure }
            if written == nil { try connection.send(kind, payload: payload, applyingTransform: compress, into: &outbound) }
            return nil
        } catch {
            return error
        }
    }

    /// Makes sure what was queued gets written: at the end of the current read, or in a task
    /// of its own right after the current one, so that a burst of sends (from a task that
    /// drains many messages) goes out in one write.
    func scheduleFlush() {
        guard !inReadCycle, !flushScheduled, let context else { return }
        flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            bound.value.flushScheduled = false
            bound.value.flush()
        }
    }

    /// Sends one fragment of a message sent in parts.
    func sendFragment(_ kind: MessageKind, _ bytes: [UInt8], isFinal: Bool, compress: Bool) -> EventLoopFuture<Void> {
        guard let context else { return shared.eventLoop.makeFailedFuture(WebSocketError.closed(shared.outcome)) }
        do throws(FramingError) {
            commitScratch()
            try connection.sendFragment(kind, bytes, isFinal: isFinal, applyingTransform: compress, into: &outbound)
        } catch {
            return context.eventLoop.makeFailedFuture(sendError(error))
        }
        scheduleFlush()
        return context.eventLoop.makeSucceededVoidFuture()
    }

    private func sendError(_ error: FramingError) -> WebSocketError {
        error.code == .connectionClosed ? .closed(shared.outcome ?? connection.outcome) : .invalidUse(error)
    }

    /// Starts the close handshake (if it has not started) and closes the TCP connection
    /// after `timeout` unless the peer completes it first.
    func startClose(code: CloseCode?, reason: String, timeout: Duration) {
        guard connection.pendingFailure == nil else { return completeFailure() }
        shared.markClosing()
        if connection.state == .open {
            do throws(FramingError) {
                commitScratch()
                try connection.sendClose(code: code, reason: reason, into: &outbound)
            } catch {
                logger.debug("close refused", metadata: [WSLogKey.reason: "\(error.message)"])
            }
            logger.debug("closing", metadata: [WSLogKey.closeCode: "\(code.map { "\($0)" } ?? "none")"])
            scheduleFlush()
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
            commitScratch()
            try connection.sendPing(payload, into: &outbound)
        } catch {
            return context.eventLoop.makeFailedFuture(sendError(error))
        }
        scheduleFlush()
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
