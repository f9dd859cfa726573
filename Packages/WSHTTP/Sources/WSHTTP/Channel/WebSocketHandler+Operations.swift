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

/// A send from a task waiting for the outbound queue to drain below the budget.
struct BudgetWaiter {
    var id: UInt64
    var promise: EventLoopPromise<Void>
}

extension WebSocketHandler {
    /// What a send from an async task needs to do next.
    enum SendResult {
        /// Queued; go on.
        case sent
        /// Not queued: the outbound queue is over the budget. Wait for `drained`, then send
        /// again; cancelling the waiting task calls ``cancelBudgetWaiter(_:)`` with `waiter`.
        case wait(waiter: UInt64, drained: EventLoopFuture<Void>)
        /// Not sent.
        case failed(WebSocketError)
    }

    /// Sends a message, on the event loop, for an async task: at once within the budget,
    /// else after the queue has drained (so a task never queues more than one message over it).
    func send(_ message: WebSocketMessage, compress: Bool = true) -> SendResult {
        guard context != nil else { return .failed(WebSocketError.closed(shared.outcome)) }
        if let wait = waitForBudget() { return wait }
        let failure = message.withUnsafeBytes { kind, bytes in encode(MessageBytes(kind: kind, payload: bytes), compress: compress) }
        if let failure { return .failed(sendError(failure)) }
        flushIfOverBudget()
        scheduleFlush()
        return .sent
    }

    /// A waiter when the outbound queue is over the budget (and the connection can still send).
    private func waitForBudget() -> SendResult? {
        guard session.outbound == .overBudget, session.canSendData, let context else { return nil }
        budgetWaitersMade &+= 1
        let waiter = BudgetWaiter(id: budgetWaitersMade, promise: context.eventLoop.makePromise(of: Void.self))
        budgetWaiters.append(waiter)
        return .wait(waiter: waiter.id, drained: waiter.promise.futureResult)
    }

    /// Lets the waiting sends go on: the queue is under the budget again.
    func releaseBudgetWaiters() {
        let waiters = budgetWaiters
        budgetWaiters = []
        waiters.forEach { $0.promise.succeed() }
    }

    /// The task of a waiting send was cancelled: its message is not sent.
    func cancelBudgetWaiter(_ id: UInt64) {
        guard let index = budgetWaiters.firstIndex(where: { $0.id == id }) else { return }
        budgetWaiters.remove(at: index).promise.fail(CancellationError())
    }

    /// Sends a message from the event loop, with no future: the fast path's send. Inside
    /// this connection's read it is always queued (the session stops reading over the budget,
    /// so a read's replies are bounded by the read); outside it, it is refused while the
    /// outbound queue is over the budget.
    ///
    /// - Returns: whether it was queued.
    func sendNow(_ kind: MessageKind, _ payload: UnsafeRawBufferPointer, compress: Bool = true) -> Bool {
        sendNow(MessageBytes(kind: kind, payload: payload), compress: compress)
    }

    /// Sends a message framed once for many connections from the event loop, as
    /// ``sendNow(_:_:compress:)`` does a message's bytes.
    func sendNow(_ message: PreparedMessage.Lent, compress: Bool = true) -> Bool {
        sendNow(PreparedOutgoing(message: message), compress: compress)
    }

    /// Sends a message framed once for many connections, as ``sendNow(_:compress:)-(PreparedMessage.Lent,_)``
    /// does, but a frame of at least ``sharedFrameMinimum`` bytes that this connection sends as
    /// it is goes to the channel as `frame`: one buffer, made from the lent bytes by the first
    /// member that needs it and written by every other one as it is (NIO gathers it with the
    /// frames around it in one `writev`), instead of a copy in each member's outbound buffer.
    func sendNow(_ message: PreparedMessage.Lent, sharing frame: inout SharedFrame?, compress: Bool) -> Bool {
        guard message.frame.count >= Self.sharedFrameMinimum, let context, session.sendsAsIs(message, applyingTransform: compress) else {
            return sendNow(message, compress: compress)
        }
        if refusesOverBudget() { return false }
        let shared = frame ?? SharedFrame(context.channel.allocator.buffer(bytes: message.frame))
        frame = shared
        // What waits goes first, in order: the scratch's frames, then the outbound buffer's.
        commitScratch()
        if outbound.bytes.readableBytes > 0 {
            observer?.tally.wire.1 &+= outbound.bytes.readableBytes
            context.write(wrapOutboundOut(outbound.takeAll()), promise: nil)
        }
        context.write(wrapOutboundOut(shared.bytes), promise: nil)
        sharedFrameWaits = true
        if let observer {
            observer.sent(message.kind, count: message.frame.count &- message.headerCount)
            observer.tally.wire.1 &+= message.frame.count
        }
        scheduleFlush()
        return true
    }

    /// The smallest frame that a broadcast shares between its members rather than copying to
    /// each: below it, a copy into the outbound buffer (one `memcpy`, then one write with the
    /// connection's other frames) costs less than a buffer of its own in NIO's write queue.
    static let sharedFrameMinimum = 2048

    private func sendNow(_ message: some OutgoingMessage, compress: Bool) -> Bool {
        guard context != nil else { return false }
        if refusesOverBudget() { return false }
        if let failure = encode(message, compress: compress) {
            logger.debug("send refused", metadata: [WSLogKey.reason: "\(failure.message)"])
            return false
        }
        // Broadcasts that run one after another in one turn of the loop would otherwise pile up
        // here, past the budget, before the scheduled flush lets the channel's writability see them.
        flushIfOverBudget()
        scheduleFlush()
        return true
    }

    /// Whether a send from the event loop is refused for the outbound budget (and says so):
    /// outside this connection's read, while the queue is over it.
    @inline(__always)
    private func refusesOverBudget() -> Bool {
        guard session.outbound == .overBudget, !inReadCycle else { return false }
        logger.debug("send refused", metadata: [WSLogKey.reason: "over the outbound budget of \(session.configuration.maxQueuedOutboundBytes) bytes"])
        return true
    }

    /// Encodes a message straight into the outbound buffer's free space, in one frame's room;
    /// a message that needs more (fragmented, or transformed) goes through the generic sink.
    ///
    /// - Returns: the error that refused it, or `nil` once it is queued.
    private func encode(_ message: some OutgoingMessage, compress: Bool) -> FramingError? {
        do throws(FramingError) {
            if let scratch {
                // Inside a read that lends messages: into the scratch, if the frame fits.
                if let count = try message.send(applyingTransform: compress, with: &session, into: scratch.free) {
                    scratch.used &+= count
                    observer?.sent(message.kind, count: message.payloadCount)
                    return nil
                }
                commitScratch()
            }
            var written: Int?
            var failure: FramingError?
            outbound.writeWithUnsafeMutableBytes(minimumWritableBytes: message.payloadCount &+ FrameHeader.maxEncodedSize) { memory in
                do throws(FramingError) {
                    written = try message.send(applyingTransform: compress, with: &session, into: memory)
                } catch {
                    failure = error
                }
                return written ?? 0
            }
            if let failure { throw failure }
            if written == nil { try message.send(applyingTransform: compress, with: &session, into: &outbound) }
            observer?.sent(message.kind, count: message.payloadCount)
            return nil
        } catch {
            return error
        }
    }

    /// Writes at once, outside a read, when what waits for the next flush has reached the
    /// outbound budget: a task that sends in a loop on the connection's own event loop (its
    /// executor) would otherwise never let the scheduled flush run, and its messages would
    /// pile up here, past the budget that the channel's writability enforces.
    @inline(__always)
    private func flushIfOverBudget() {
        if !inReadCycle, outbound.bytes.readableBytes >= outboundBudget { flushOverBudget() }
    }

    @inline(never)
    private func flushOverBudget() { flush() }

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

    /// Sends one fragment of a message sent in parts, as ``send(_:compress:)`` does a message.
    func sendFragment(_ kind: MessageKind, _ bytes: [UInt8], isFinal: Bool, compress: Bool) -> SendResult {
        guard context != nil else { return .failed(WebSocketError.closed(shared.outcome)) }
        if let wait = waitForBudget() { return wait }
        do throws(FramingError) {
            commitScratch()
            try session.sendFragment(kind, bytes, isFinal: isFinal, applyingTransform: compress, into: &outbound)
            observer?.sent(kind, count: bytes.count, countsMessage: isFinal)
        } catch {
            return .failed(sendError(error))
        }
        flushIfOverBudget()
        scheduleFlush()
        return .sent
    }

    private func sendError(_ error: FramingError) -> WebSocketError {
        error.code == .connectionClosed ? .closed(shared.outcome ?? session.outcome) : .invalidUse(error)
    }

    /// Starts the close handshake (if it has not started): the session sends the Close and
    /// closes the TCP connection after `timeout` (the configuration's close timeout when nil)
    /// unless the peer completes the handshake first.
    func startClose(code: CloseCode?, reason: String, timeout: Duration?) {
        guard context != nil else { return }
        shared.markClosing()
        commitScratch()
        let wasOpen = session.phase == .open
        do throws(FramingError) {
            apply(try session.close(code: code, reason: reason, timeout: timeout, at: .now, into: &outbound))
        } catch {
            logger.debug("close refused", metadata: [WSLogKey.reason: "\(error.message)"])
            return
        }
        if wasOpen { logger.debug("closing", metadata: [WSLogKey.closeCode: "\(code.map { "\($0)" } ?? "none")"]) }
    }

    /// Sends a Ping with a payload of its own; the future gives the round-trip time.
    func ping(timeout: Duration) -> EventLoopFuture<Duration> {
        guard let context else { return shared.eventLoop.makeFailedFuture(WebSocketError.closed(shared.outcome)) }
        pingsSent &+= 1
        // 9 bytes, so that it can never be mistaken for a keepalive's 8-byte payload.
        let payload = [0x75] + withUnsafeBytes(of: pingsSent.bigEndian) { Array($0) }
        do throws(FramingError) {
            commitScratch()
            try session.sendPing(payload, into: &outbound)
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

    /// Settles the user's ping that `payload` answers (the session settles its keepalive's).
    func settlePing(_ payload: [UInt8]) {
        guard let index = pingWaiters.firstIndex(where: { $0.payload == payload }) else { return }
        let waiter = pingWaiters.remove(at: index)
        waiter.timer.cancel()
        waiter.promise.succeed(waiter.sentAt.duration(to: .now))
    }

    /// Sends an unsolicited Pong (RFC 6455 §5.5.3: a one-way heartbeat).
    func sendPong(_ payload: [UInt8]) -> EventLoopFuture<Void> {
        guard let context else { return shared.eventLoop.makeFailedFuture(WebSocketError.closed(shared.outcome)) }
        do throws(FramingError) {
            commitScratch()
            try session.sendPong(payload, into: &outbound)
        } catch {
            return context.eventLoop.makeFailedFuture(sendError(error))
        }
        scheduleFlush()
        return context.eventLoop.makeSucceededVoidFuture()
    }

    /// Fails every waiting ping and send.
    func failWaiters(_ error: WebSocketError) {
        let pings = pingWaiters
        pingWaiters = []
        for waiter in pings {
            waiter.timer.cancel()
            waiter.promise.fail(error)
        }
        let writers = budgetWaiters
        budgetWaiters = []
        writers.forEach { $0.promise.fail(error) }
    }
}

/// What the handler's encoder sends: a message's bytes, or a frame prepared for many
/// connections. Generic, so that each is specialized and the echo's path stays as it was.
private protocol OutgoingMessage {
    var kind: MessageKind { get }
    var payloadCount: Int { get }
    func send(applyingTransform: Bool, with session: inout WebSocketSession, into memory: UnsafeMutableRawBufferPointer) throws(FramingError) -> Int?
    func send(applyingTransform: Bool, with session: inout WebSocketSession, into outbound: inout OutboundBuffer) throws(FramingError)
}

/// A message's bytes, lent for the call.
private struct MessageBytes: OutgoingMessage {
    let kind: MessageKind
    let payload: UnsafeRawBufferPointer

    var payloadCount: Int { payload.count }

    @inline(__always)
    func send(applyingTransform: Bool, with session: inout WebSocketSession, into memory: UnsafeMutableRawBufferPointer) throws(FramingError) -> Int? {
        try session.send(kind, payload: payload, applyingTransform: applyingTransform, into: memory)
    }

    @inline(__always)
    func send(applyingTransform: Bool, with session: inout WebSocketSession, into outbound: inout OutboundBuffer) throws(FramingError) {
        try session.send(kind, payload: payload, applyingTransform: applyingTransform, into: &outbound)
    }
}

/// A message framed once (`PreparedMessage`), lent for the send: no reference counting per member.
private struct PreparedOutgoing: OutgoingMessage {
    let message: PreparedMessage.Lent

    var kind: MessageKind { message.kind }
    var payloadCount: Int { message.frame.count &- message.headerCount }

    @inline(__always)
    func send(applyingTransform: Bool, with session: inout WebSocketSession, into memory: UnsafeMutableRawBufferPointer) throws(FramingError) -> Int? {
        try session.send(message, applyingTransform: applyingTransform, into: memory)
    }

    func send(applyingTransform: Bool, with session: inout WebSocketSession, into outbound: inout OutboundBuffer) throws(FramingError) {
        try session.send(message, applyingTransform: applyingTransform, into: &outbound)
    }
}

/// A broadcast's frame in one buffer that every member writing it as it is shares
/// (``WebSocketHandler/sendNow(_:sharing:compress:)``): made by the first such member of a pass.
@usableFromInline
final class SharedFrame {
    let bytes: ByteBuffer

    init(_ bytes: ByteBuffer) { self.bytes = bytes }
}
