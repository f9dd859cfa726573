import Logging
import NIOCore
import WSDeflate
import WSFraming
import WSLogging

/// The channel handler of a live WebSocket. It moves bytes between the socket and WSFraming's
/// `WebSocketConnection`, which decides everything about the protocol; it runs the timers and
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

    let configuration: WebSocket.Configuration
    let logger: Logger
    let shared: WebSocketShared
    var consumer: Consumer?
    /// permessage-deflate, when negotiated: the connection's transform.
    let deflate: PerMessageDeflate?

    // The state touched per message is exempt from dynamic exclusivity checks, which cost
    // more than the work itself: the handler runs only on its event loop, and no access to
    // these is held across a call that could reach them again (callbacks get `OnLoop`, whose
    // methods begin their own accesses after the connection's decoding access has ended).
    @exclusivity(unchecked) var connection: WebSocketConnection
    @exclusivity(unchecked) var context: ChannelHandlerContext?
    /// Frames waiting for the next flush.
    @exclusivity(unchecked) var outbound = OutboundBuffer(bytes: ByteBuffer())
    /// The event loop's scratch, while this connection's read lends messages to callbacks:
    /// frames gathered there come before anything in `outbound` written after them, so every
    /// other write calls ``commitScratch()`` first.
    @exclusivity(unchecked) var scratch: WriteScratch?
    /// Whether a read is being processed: sends wait for `channelReadComplete` to flush.
    @exclusivity(unchecked) var inReadCycle = false
    /// Whether a flush is scheduled for sends made outside a read.
    @exclusivity(unchecked) var flushScheduled = false
    /// Whether the TCP connection closes once the current read has been handled.
    var closesAfterReadCycle = false
    /// Whether the consumer asked us to stop: input is held and reads are withheld.
    @exclusivity(unchecked) var paused = false
    var heldInput: ByteBuffer?
    var readWithheld = false

    // Timers and waiters: see WebSocketHandler+Timers.swift and +Operations.swift.
    @exclusivity(unchecked) var keepAlive: KeepAlive<ContinuousClock.Instant>?
    var keepAliveTimer: Scheduled<Void>?
    @exclusivity(unchecked) var lastActivity = ContinuousClock.now
    var idleTimer: Scheduled<Void>?
    var closeTimer: Scheduled<Void>?
    var failureTimer: Scheduled<Void>?
    /// Why this side closed the TCP connection without the peer's Close (a keepalive or
    /// close timeout): the reason of the 1006 outcome.
    var localReason: String?
    /// The request target and the peer, for the fast path's callbacks (not the whole
    /// handshake: its header fields would cost every idle connection a kilobyte).
    var target = "/"
    var remoteAddress: SocketAddress?
    /// The message rate limit's bucket, when the configuration has one.
    var messageBucket: TokenBucket?
    /// The peer went over the message rate limit: nothing more is delivered.
    var overRateLimit = false
    var pingWaiters: [PingWaiter] = []
    var pingsSent: UInt64 = 0
    var writabilityWaiters: [EventLoopPromise<Void>] = []

    /// - Parameter defersFailure: whether a protocol violation waits for the consumer to
    ///   handle the messages before it (an async consumer) before the failing Close goes out.
    ///   - deflate: the connection's permessage-deflate, when negotiated; its zlib memory is
    ///     freed as the handler leaves the pipeline.
    init(role: WebSocketRole, configuration: WebSocket.Configuration, shared: WebSocketShared, logger: Logger, defersFailure: Bool,
         deflate: PerMessageDeflate? = nil) {
        var framing = configuration.framing
        framing.delivery = .whole
        framing.failurePolicy = defersFailure ? .deferred : .immediate
        self.connection = WebSocketConnection(role: role, configuration: framing, transform: deflate)
        self.deflate = deflate
        self.configuration = configuration
        self.shared = shared
        self.logger = logger
        messageBucket = configuration.messageRateLimit.map { TokenBucket($0, now: NIODeadline.now().uptimeNanoseconds) }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        outbound = OutboundBuffer(bytes: context.channel.allocator.buffer(capacity: 256))
        let limit = max(2, configuration.maxBufferedOutboundBytes)
        try? context.channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: limit / 2, high: limit))
        startTimers(context: context)
        if !context.channel.isActive { channelInactive(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        if case .async(let queue) = consumer { queue.finish() }
        consumer = nil
        self.context = nil
        deflate?.release()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        inReadCycle = true
        if paused {
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
    /// read ended the WebSocket.
    func readCycleEnded() {
        inReadCycle = false
        if closesAfterReadCycle {
            closesAfterReadCycle = false
            closeTransport(afterFlush: true)
        } else {
            flush()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard !shared.isClosed else { return }
        let outcome = connection.receiveEndOfInput(reason: localReason ?? "")
        cancelTimers()
        failWaiters(WebSocketError.closed(outcome))
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
        shared.markClosing()
        startClose(code: request.code, reason: request.reason, timeout: request.timeout ?? configuration.closeTimeout)
        promise?.succeed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("channel error", metadata: [WSLogKey.reason: "\(error)"])
        localReason = localReason ?? "\(error)"
        context.close(promise: nil)
    }

    /// Feeds `buffer` to the connection until it is used up or the consumer pauses us.
    func process(_ buffer: inout ByteBuffer) {
        lastActivity = .now
        keepAlive?.received(at: lastActivity)
        let (consumed, failure) = buffer.withUnsafeReadableBytes { raw -> (Int, FramingError?) in
            var input = raw
            do throws(FramingError) {
                if case .eventLoop(let handler) = consumer {
                    try deliverLent(from: &input, to: handler)
                } else {
                    while !paused, !overRateLimit, let event = try connection.nextEvent(from: &input, replies: &outbound) {
                        switch event {
                        case .text, .binary: if admitMessage() { handle(event) }
                        default: handle(event)
                        }
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
            if connection.pendingFailure != nil {
                holdFailure()
            } else {
                closeTransport(afterFlush: true)
            }
            return
        }
        if paused, buffer.readableBytes > 0 { hold(&buffer) }
        if connection.state == .closed { closeHandshakeDone() }
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
        // The rate limit costs a nil check per message when there is none.
        while !overRateLimit, let event = try connection.nextBorrowedEvent(from: &input, replies: &replies) {
            switch event {
            case .message(let kind, let payload):
                if messageBucket != nil, !admitMessage() { return }
                handler.webSocket(WebSocket.OnLoop(self), didReceive: WebSocket.LentMessage(kind: kind, payload: payload))
            case .event(.text(var text)):
                if messageBucket != nil, !admitMessage() { return }
                text.withUTF8 { handler.webSocket(WebSocket.OnLoop(self), didReceive: WebSocket.LentMessage(kind: .text, payload: UnsafeRawBufferPointer($0))) }
            case .event(.binary(let bytes)):
                if messageBucket != nil, !admitMessage() { return }
                bytes.withUnsafeBytes { handler.webSocket(WebSocket.OnLoop(self), didReceive: WebSocket.LentMessage(kind: .binary, payload: $0)) }
            case .event(let other):
                handle(other)
            }
        }
    }

    /// Takes a token of the message rate limit; over it, sends a Close with 1008 and stops
    /// delivering (the rest of the input is dropped).
    private func admitMessage() -> Bool {
        guard !overRateLimit else { return false }
        guard var bucket = messageBucket else { return true }
        defer { messageBucket = bucket }
        if bucket.take(now: NIODeadline.now().uptimeNanoseconds) { return true }
        overRateLimit = true
        logger.debug("message rate limit exceeded", metadata: [WSLogKey.closeCode: "1008"])
        localReason = "message rate limit exceeded"
        commitScratch()
        try? connection.sendClose(code: .policyViolation, reason: "message rate limit exceeded", into: &outbound)
        closeTransport(afterFlush: true)
        return false
    }

    private func hold(_ buffer: inout ByteBuffer) {
        if heldInput == nil { heldInput = buffer } else { heldInput!.writeBuffer(&buffer) }
    }

    private func handle(_ event: WebSocketConnection.Event) {
        switch event {
        case .text(let text): deliver(.text(text))
        case .binary(let bytes): deliver(.binary(bytes))
        case .fragment: break  // this layer asks for whole messages
        case .ping: logger.trace("ping received")
        case .pong(let payload): pongReceived(payload)
        case .close(let frame):
            shared.markClosing()
            logger.debug("close received", metadata: [WSLogKey.closeCode: "\(frame.code.map { "\($0)" } ?? "none")"])
        }
    }

    private func deliver(_ message: WebSocketMessage) {
        guard case .async(let queue) = consumer else { return }
        if !queue.push(message) { paused = true }
    }

    /// Called on the event loop when the consumer wants more.
    func resume() {
        guard paused, let context else { return }
        paused = false
        if var held = heldInput {
            heldInput = nil
            let wasInReadCycle = inReadCycle
            inReadCycle = true
            process(&held)
            if !wasInReadCycle { readCycleEnded() }
        }
        if !paused, readWithheld {
            readWithheld = false
            context.read()
        }
    }

    // MARK: - Outbound

    func read(context: ChannelHandlerContext) {
        if paused || connection.pendingFailure != nil { readWithheld = true } else { context.read() }
    }

    /// A violation whose Close waits (an async consumer): the consumer first handles the
    /// messages that came before it, then ``completeFailure()`` sends the Close. Reading
    /// stops meanwhile, and ``maxFailureDelay`` (or the close timeout, if shorter) bounds the
    /// wait for a consumer that is slow or does not read.
    private func holdFailure() {
        guard case .async(let queue) = consumer, queue.notifiesWhenConsumerIdle() else {
            completeFailure()
            return
        }
        guard let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        failureTimer = context.eventLoop.scheduleTask(in: .init(min(configuration.closeTimeout, Self.maxFailureDelay))) {
            bound.value.completeFailure()
        }
    }

    /// The longest a violation's Close waits for the consumer to answer earlier messages.
    static let maxFailureDelay = Duration.seconds(1)

    /// Sends the Close of a held violation and closes the TCP connection.
    func completeFailure() {
        guard connection.pendingFailure != nil else { return }
        failureTimer?.cancel()
        failureTimer = nil
        commitScratch()
        connection.completeFailure(into: &outbound)
        shared.markClosing()
        closeTransport(afterFlush: true)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            let waiters = writabilityWaiters
            writabilityWaiters = []
            waiters.forEach { $0.succeed() }
        }
        context.fireChannelWritabilityChanged()
    }

    /// Copies the frames gathered in the scratch into `outbound`, keeping their order.
    func commitScratch() {
        guard let scratch, scratch.used > 0 else { return }
        outbound.bytes.writeBytes(scratch.written)
        scratch.used = 0
    }

    /// Copies what the scratch holds and gives it back to the event loop.
    private func releaseScratch() {
        guard let held = scratch else { return }
        commitScratch()
        held.isLent = false
        scratch = nil
    }

    /// Writes what is waiting, in one write. The buffer is reused when the socket took it
    /// all at once (the usual case), so a steady connection allocates nothing here.
    func flush(promise: EventLoopPromise<Void>? = nil) {
        commitScratch()
        guard let context, outbound.bytes.readableBytes > 0 else {
            promise?.succeed()
            return
        }
        let written = outbound.bytes.readableBytes
        context.writeAndFlush(wrapOutboundOut(outbound.bytes), promise: promise)
        if outbound.bytes.capacity > Self.maxRetainedOutboundCapacity {
            outbound.bytes = context.channel.allocator.buffer(capacity: 256)
        } else {
            // Keeps the memory when the socket took it all; when the write is still pending
            // (the peer reads slowly), starts a buffer as large as this write, the likely size
            // of the next, rather than one that grows by doubling again.
            outbound.bytes.clear(minimumCapacity: max(256, written))
        }
    }

    /// The largest outbound buffer kept between writes: a connection that once sent a large
    /// message does not hold its memory.
    static let maxRetainedOutboundCapacity = 256 << 10

    /// After the close handshake: a server closes the TCP connection at once, a client
    /// gives the server a moment to do it first (RFC 6455 §7.1.1).
    private func closeHandshakeDone() {
        switch connection.role {
        case .server: closeTransport(afterFlush: true)
        case .client: scheduleCloseTimer(configuration.closeTimeout)
        }
    }

    /// Closes the TCP connection, after what is waiting has been written. Inside a read the
    /// close waits for the read's end: writes never go out mid-read (while an upgrade's HTTP
    /// decoder is still leaving, it would take them for its own).
    func closeTransport(afterFlush: Bool) {
        guard let context else { return }
        if afterFlush, inReadCycle {
            closesAfterReadCycle = true
            return
        }
        if afterFlush, outbound.bytes.readableBytes > 0 {
            let written = context.eventLoop.makePromise(of: Void.self)
            flush(promise: written)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension WebSocketHandler: Sendable {}
