import Logging
import NIOCore
import Tracing
import WSDeflate
import WSFraming
import WSLogging

/// The channel handler of a live WebSocket: a thin executor of WSFraming's
/// `WebSocketSession`, which decides everything (the protocol, keepalive, timeouts, the rate
/// limit, the outbound budget). It moves bytes between the socket and the session, carries
/// out the session's actions (write, pause or resume reading, close, arm the one timer), and
/// hands whole messages to the consumer: per-message callbacks on the event loop (the fast
/// path) or the async sequence behind ``WebSocket/messages``.
///
/// Every frame of a read is decoded before anything is written; what the read produced
/// (pongs, Close replies, the callbacks' sends) goes out in one write at `channelReadComplete`.
final class WebSocketHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Who receives the messages.
    enum Consumer {
        /// Callbacks on the event loop.
        case eventLoop(any WebSocketEventLoopHandler)
        /// The async sequence of ``WebSocket/messages``.
        case async(InboundQueue)
    }

    let logger: Logger
    let shared: WebSocketShared
    /// This connection's identity, unique for the life of the process.
    let id: WebSocket.ID
    /// How long ``WebSocket/ping(timeout:)`` waits by default.
    let pingTimeout: Duration
    var consumer: Consumer?
    /// permessage-deflate, when negotiated: the session's transform.
    let deflate: PerMessageDeflate?
    /// What the connection records of itself (metrics, its span); nil when nothing is recorded.
    let observer: ConnectionObserver?
    /// The keepalive answers already recorded.
    var keepAlivesRecorded = 0
    /// The session's outbound budget, kept here: the check on every send from a task must not
    /// copy the session's configuration out of WSFraming.
    let outboundBudget: Int

    // The state touched per message is exempt from dynamic exclusivity checks, which cost
    // more than the work itself: the handler runs only on its event loop, and no access to
    // these is held across a call that could reach them again (callbacks get `OnLoop`, whose
    // methods begin their own accesses after the session's decoding access has ended).
    @exclusivity(unchecked) var session: WebSocketSession
    @exclusivity(unchecked) var context: ChannelHandlerContext?
    /// Frames waiting for the next flush.
    @exclusivity(unchecked) var outbound: OutboundBuffer
    /// The event loop's scratch, while this connection's read lends messages to callbacks:
    /// frames gathered there come before anything in `outbound` written after them, so every
    /// other write calls ``commitScratch()`` first.
    @exclusivity(unchecked) var scratch: WriteScratch?
    /// Whether a read is being processed: sends wait for `channelReadComplete` to flush.
    @exclusivity(unchecked) var inReadCycle = false
    /// Whether a flush is scheduled for sends made outside a read.
    @exclusivity(unchecked) var flushScheduled = false
    /// Whether a frame shared with other connections was written to the channel and waits for
    /// the next flush (``sendNow(_:sharing:compress:)``).
    @exclusivity(unchecked) var sharedFrameWaits = false
    /// The channel's writability as last reported: read per member by every broadcast, so kept
    /// here rather than asked of the channel (a retain, a release and an atomic load).
    @exclusivity(unchecked) var channelWritable = true
    /// A close the session asked for inside a read: carried out at the read's end.
    var transportAfterReadCycle: WebSocketSession.Actions.Transport?
    /// Input read while the consumer was behind, decoded once it catches up: a copy, so that
    /// the read's buffer goes back to the event loop.
    var heldInput: ByteBuffer?
    /// This read's buffer, handed back to the event loop at the read's end (``EventLoopBuffers``).
    @exclusivity(unchecked) var readBuffer: ByteBuffer?
    /// Whether NIO asked for a read while the session had reading paused.
    var readWithheld = false

    /// The session's earliest deadline, as armed in the loop's timers (``EventLoopTimers``):
    /// every deadline of the session goes through it. Nil when none is armed.
    var armedDeadline: WebSocketSession.Instant?
    /// Its place in the loop's timers; -1 when none is armed. Kept by ``EventLoopTimers``.
    var timerSlot = -1
    /// The peer, for the fast path's callbacks. Nothing of the request is kept: the
    /// event-loop consumer's factory takes what it needs of the handshake.
    var remoteAddress: SocketAddress?
    var pingWaiters: [PingWaiter] = []
    var pingsSent: UInt64 = 0
    /// Sends from tasks waiting for the outbound queue to drain below the budget.
    var budgetWaiters: [BudgetWaiter] = []
    var budgetWaitersMade: UInt64 = 0

    /// - Parameters:
    ///   - defersFailure: whether a protocol violation waits for the consumer to handle the
    ///     messages before it (an async consumer) before the failing Close goes out.
    ///   - deflate: the connection's permessage-deflate, when negotiated; its zlib memory is
    ///     freed as the handler leaves the pipeline.
    ///   - buffers: the buffers it reads, writes and unmasks in: its event loop's, or its own.
    ///   - span: the connection's span, begun at the upgrade request; ended at the close.
    init(role: WebSocketRole, configuration: WebSocket.Configuration, shared: WebSocketShared, logger: Logger, defersFailure: Bool,
         buffers: EventLoopBuffers, deflate: PerMessageDeflate? = nil, span: (any Span)? = nil) {
        var policies = configuration.session
        policies.framing.delivery = .whole  // this layer hands out whole messages
        policies.framing.failurePolicy = defersFailure ? .deferred : .immediate
        session = WebSocketSession(role: role, configuration: policies, transform: deflate, now: .now)
        outbound = OutboundBuffer(buffers: buffers)
        if let unmask = buffers.unmask { session.shareUnmaskBuffer(unmask) }
        self.deflate = deflate
        self.shared = shared
        self.logger = logger
        pingTimeout = configuration.pingTimeout
        outboundBudget = policies.maxQueuedOutboundBytes
        observer = ConnectionObserver.make(role: role, metrics: configuration.metrics, tracing: configuration.tracing, span: span)
        id = WebSocket.ID.next()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let limit = max(2, session.configuration.maxQueuedOutboundBytes)
        try? context.channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: limit / 2, high: limit))
        channelWritable = context.channel.isWritable
        if let deadline = session.nextDeadline { arm(deadline) }
        if !context.channel.isActive { channelInactive(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        readBuffer = nil  // a read that ended with the channel (NIO skips channelReadComplete then)
        outbound.release()
        cancelTimer()
        if case .async(let queue) = consumer { queue.finish() }
        consumer = nil
        self.context = nil
        deflate?.release()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        readBuffer = buffer
        observer?.tally.wire.0 &+= buffer.readableBytes
        inReadCycle = true
        session.bytesArrived(at: .now)
        if session.inbound == .consumerBehind {
            hold(&buffer)
            return
        }
        process(&buffer)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readCycleEnded()
        context.fireChannelReadComplete()
    }

    /// Writes what the read produced, in one write, and closes the TCP connection if the
    /// session asked for it during the read.
    func readCycleEnded() {
        // At the end of a read (or of the upgrade's leftover bytes): the read's buffer goes
        // back to the event loop if nothing holds it any more.
        if let buffer = readBuffer.take() { outbound.buffers.giveBack(read: consume buffer) }
        inReadCycle = false
        if let transport = transportAfterReadCycle {
            transportAfterReadCycle = nil
            closeTransport(transport)
        } else {
            flush()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard !shared.isClosed else { return }
        let outcome = session.endOfInput()
        cancelTimer()
        failWaiters(WebSocketError.closed(outcome))
        observer?.closed(outcome, connection: session.connection, deflate: deflate)
        // zlib's memory goes before anyone awaiting the outcome hears of the end (handlerRemoved
        // comes later, on another tick of the loop).
        deflate?.release()
        logger.debug("closed", metadata: [WSLogKey.closeCode: "\(outcome.code)", WSLogKey.closeReason: "\(outcome.reason)",
                                          WSLogKey.closeClean: "\(outcome.wasClean)"])
        shared.close(outcome)
        switch consumer {
        case .async(let queue): queue.finish()
        case .eventLoop(let handler): handler.webSocketDidClose(WebSocket.OnLoop(self), outcome: outcome)
        case nil: break
        }
        // The queue refers to this handler: letting go of it here breaks the cycle, so both
        // are freed with the WebSocket that still reads the queue's last messages.
        consumer = nil
        context.fireChannelInactive()
    }

    /// A ``WebSocket/CloseRequest`` starts the close handshake; other events pass on.
    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let request = event as? WebSocket.CloseRequest else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        startClose(code: request.code, reason: request.reason, timeout: request.timeout)
        promise?.succeed()
    }

    /// A server's graceful shutdown (SwiftNIO's `ServerQuiescingHelper`, which Hummingbird,
    /// Vapor and NIO servers use) asks each connection to finish: a WebSocket answers by
    /// closing with 1001 (going away), within the configuration's close timeout.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        startClose(code: .goingAway, reason: "server shutting down", timeout: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("channel error", metadata: [WSLogKey.reason: "\(error)"])
        context.close(promise: nil)
    }

    /// Feeds `buffer` to the session until it is used up or the consumer falls behind.
    func process(_ buffer: inout ByteBuffer) {
        let (consumed, failure) = buffer.withUnsafeReadableBytes { raw -> (Int, FramingError?) in
            var input = raw
            do throws(FramingError) {
                if case .eventLoop(let handler) = consumer {
                    try deliverLent(from: &input, to: handler)
                } else {
                    while session.inbound == .flowing, let event = try session.nextEvent(from: &input, replies: &outbound) {
                        handle(event)
                    }
                }
            } catch {
                return (raw.count - input.count, error)
            }
            return (raw.count - input.count, nil)
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        if let failure {
            logger.debug("protocol violation", metadata: [WSLogKey.closeCode: "\(failure.closeCode ?? .protocolError)", WSLogKey.reason: "\(failure.message)"])
            if session.connection.pendingFailure != nil { holdFailure() }
        } else if session.inbound == .consumerBehind, buffer.readableBytes > 0 {
            hold(&buffer)
        }
        apply(session.readCompleted())
    }

    /// The fast path: messages lent straight from the read buffer to the callbacks, whose
    /// small sends gather in the event loop's scratch.
    private func deliverLent(from input: inout UnsafeRawBufferPointer, to handler: any WebSocketEventLoopHandler) throws(FramingError) {
        let shared = WriteScratch.current
        if !shared.isLent {
            shared.isLent = true
            scratch = shared
        }
        defer { releaseScratch() }
        var replies = ScratchSink(handler: self)
        while let event = try session.nextBorrowedEvent(from: &input, replies: &replies) {
            switch event {
            case .message(let kind, let payload):
                observer?.received(kind, count: payload.count)
                handler.webSocket(WebSocket.OnLoop(self), didReceive: WebSocket.LentMessage(kind: kind, payload: payload))
            case .event(.text(var text)):
                observer?.received(.text, count: text.utf8.count)
                text.withUTF8 { handler.webSocket(WebSocket.OnLoop(self), didReceive: WebSocket.LentMessage(kind: .text, payload: UnsafeRawBufferPointer($0))) }
            case .event(.binary(let bytes)):
                observer?.received(.binary, count: bytes.count)
                bytes.withUnsafeBytes { handler.webSocket(WebSocket.OnLoop(self), didReceive: WebSocket.LentMessage(kind: .binary, payload: $0)) }
            case .event(let other):
                handle(other)
            }
        }
    }

    private func hold(_ buffer: inout ByteBuffer) {
        if heldInput == nil { heldInput = (context?.channel.allocator ?? ByteBufferAllocator()).buffer(capacity: buffer.readableBytes) }
        heldInput!.writeBuffer(&buffer)
    }

    private func handle(_ event: WebSocketConnection.Event) {
        switch event {
        case .text(let text):
            observer?.received(.text, count: text.utf8.count)
            deliver(.text(text))
        case .binary(let bytes):
            observer?.received(.binary, count: bytes.count)
            deliver(.binary(bytes))
        case .fragment: break  // this layer asks for whole messages
        case .ping: logger.trace("ping received")
        case .pong(let payload):
            settlePing(payload)
            if session.keepAliveAnswers != keepAlivesRecorded, let roundTrip = session.lastKeepAliveRoundTrip {
                keepAlivesRecorded = session.keepAliveAnswers
                shared.recordRoundTrip(roundTrip)
                observer?.keepAliveAnswered(after: roundTrip)
            }
        case .close(let frame):
            shared.markClosing()
            logger.debug("close received", metadata: [WSLogKey.closeCode: "\(frame.code.map { "\($0)" } ?? "none")"])
        }
    }

    private func deliver(_ message: WebSocketMessage) {
        guard case .async(let queue) = consumer else { return }
        if !queue.push(message) { apply(session.inboundPressureChanged(.consumerBehind)) }
    }

    /// Called on the event loop when the consumer has caught up.
    func resume() {
        guard session.inbound == .consumerBehind, context != nil else { return }
        apply(session.inboundPressureChanged(.flowing))
        if var held = heldInput {
            heldInput = nil
            let wasInReadCycle = inReadCycle
            inReadCycle = true
            process(&held)
            if !wasInReadCycle { readCycleEnded() }
        }
    }

    // MARK: - Outbound

    func read(context: ChannelHandlerContext) {
        if session.reading == .paused { readWithheld = true } else { context.read() }
    }

    /// A violation whose Close waits (an async consumer): the consumer first handles the
    /// messages that came before it, then ``completeFailure()`` sends the Close. The session
    /// pauses reading meanwhile and bounds the wait.
    private func holdFailure() {
        guard case .async(let queue) = consumer, queue.notifiesWhenConsumerIdle() else {
            completeFailure()
            return
        }
    }

    /// Sends the Close of a held violation; the transport closes once it is written.
    func completeFailure() {
        guard session.connection.pendingFailure != nil else { return }
        commitScratch()
        shared.markClosing()
        apply(session.completeFailure(at: .now, into: &outbound))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        channelWritable = writable
        commitScratch()
        if let observer {
            observer.outboundQueued(writable ? 0 : Self.queuedBytes(context), crossed: !writable && session.outbound == .withinBudget)
        }
        apply(session.outboundPressureChanged(writable ? .withinBudget : .overBudget, into: &outbound))
        if writable { releaseBudgetWaiters() }
        context.fireChannelWritabilityChanged()
    }

    /// Copies the frames gathered in the scratch into `outbound`, keeping their order.
    func commitScratch() {
        guard let scratch, scratch.used > 0 else { return }
        outbound.write(scratch.written)
        scratch.used = 0
    }

    /// Copies what the scratch holds and gives it back to the event loop.
    private func releaseScratch() {
        guard let held = scratch else { return }
        commitScratch()
        held.isLent = false
        scratch = nil
    }

    /// Writes what is waiting, in one write. The buffer goes back to the event loop when the
    /// socket took it all at once (the usual case), so a steady connection allocates nothing
    /// here and holds no write memory between writes (``EventLoopBuffers``).
    func flush(promise: EventLoopPromise<Void>? = nil) {
        commitScratch()
        guard let context, outbound.bytes.readableBytes > 0 else {
            outbound.release()  // a buffer taken for a send that was refused
            observer?.report(deflate: deflate)
            if sharedFrameWaits, let context {
                // An empty write, so that the promise waits for the shared frames before it.
                sharedFrameWaits = false
                context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: promise)
            } else {
                promise?.succeed()
            }
            return
        }
        sharedFrameWaits = false
        let written = outbound.bytes.readableBytes
        let bytes = outbound.takeAll()
        context.writeAndFlush(wrapOutboundOut(bytes), promise: promise)
        outbound.buffers.giveBack(written: consume bytes)
        if let observer {
            observer.tally.wire.1 &+= written
            if session.outbound == .overBudget { observer.outboundQueued(Self.queuedBytes(context), crossed: false) }
            observer.report(deflate: deflate)
        }
    }

    /// The bytes written to the channel that the socket has not taken yet.
    static func queuedBytes(_ context: ChannelHandlerContext) -> Int {
        (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

}

@available(*, unavailable)
extension WebSocketHandler: Sendable {}
