public import Logging
public import NIOCore
public import Tracing
public import WSFraming

extension WebSocket {
    /// Who consumes a new connection's messages.
    public enum Consumer: Sendable {
        /// An async task, through ``WebSocket/messages`` or ``WebSocket/receive()``.
        case async
        /// Callbacks on the event loop. The closure makes the handler, on the event loop, from
        /// the handshake's facts: keep what the handler needs of them (a route, a user): the
        /// connection itself keeps nothing of the request, however long its target or fields.
        case eventLoop(@Sendable (Handshake) -> any WebSocketEventLoopHandler)
    }

    /// Puts a live connection on `channel`, whose handshake is done: the connection's handler
    /// goes at `position` in the pipeline. Must run on the channel's event loop.
    ///
    /// - Parameter readsIntoLoopBuffer: whether the connection reads into its event loop's
    ///   buffer (``EventLoopBuffers``): only when every handler before it hands the socket's
    ///   reads on or back (none, or WSTLS's `TLSHandler`), and the channel is a socket's.
    @_spi(WSInternal) public static func install(
        on channel: any Channel, role: WebSocketRole, configuration: Configuration, handshake: Handshake,
        consumer: Consumer, logger: Logger, position: ChannelPipeline.SynchronousOperations.Position = .last,
        span: (any Span)? = nil, readsIntoLoopBuffer: Bool = false
    ) throws -> WebSocket {
        channel.eventLoop.preconditionInEventLoop()
        let shared = WebSocketShared(eventLoop: channel.eventLoop)
        let defersFailure = if case .async = consumer { true } else { false }
        // The transform follows what the handshake agreed, whatever the configuration says now.
        let deflate = handshake.deflate.flatMap { settings in (configuration.deflate ?? .default).transform(settings, role: role) }
        let buffers = EventLoopBuffers.of(channel.eventLoop)
        let handler = WebSocketHandler(role: role, configuration: configuration, shared: shared, logger: logger,
                                       defersFailure: defersFailure, buffers: buffers, deflate: deflate, span: span)
        handler.remoteAddress = handshake.remoteAddress
        let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        var inbound: InboundQueue?
        switch consumer {
        case .async:
            let queue = InboundQueue(highWatermark: configuration.maxBufferedMessages, handler: bound)
            handler.consumer = .async(queue)
            inbound = queue
        case .eventLoop(let make):
            handler.consumer = .eventLoop(make(handshake))
        }
        if readsIntoLoopBuffer, buffers.isShared { EventLoopReadBuffer.use(buffers, on: channel) }
        do {
            try channel.pipeline.syncOperations.addHandler(handler, position: position)
        } catch {
            // A channel already gone: the connection never began. Its end is settled (an
            // unfulfilled promise must not be freed) and the handler lets go of its queue,
            // which refers back to it.
            handler.consumer = nil
            let outcome = CloseOutcome(code: .abnormalClosure, reason: "the channel closed before the WebSocket was installed", wasClean: false)
            handler.observer?.closed(outcome, connection: handler.session.connection, deflate: nil)
            shared.close(outcome)
            throw error
        }
        return WebSocket(role: role, handshake: handshake, channel: channel, configuration: configuration,
                         logger: logger, handler: bound, shared: shared, inbound: inbound)
    }

    /// Puts a live connection in place of an upgrade's HTTP handlers: right after the
    /// upgrade handler of `context`, which then leaves with `encoder` (unless it left
    /// already: nil) and `decoder`. The
    /// decoder hands over the bytes that followed the handshake as it leaves, outside any
    /// read; until it has left, the connection holds its writes as if in a read.
    static func replaceHTTPHandlers(
        of context: ChannelHandlerContext, encoder: (any RemovableChannelHandler)?, decoder: some RemovableChannelHandler,
        role: WebSocketRole, configuration: Configuration, handshake: Handshake, consumer: Consumer, logger: Logger,
        span: (any Span)? = nil, tls: WebSocketTLS?
    ) throws -> WebSocket {
        let webSocket = try install(on: context.channel, role: role, configuration: configuration, handshake: handshake,
                                    consumer: consumer, logger: logger, position: .after(context.handler), span: span,
                                    readsIntoLoopBuffer: tls?.handsBackReads ?? true)
        let pipeline = context.channel.pipeline.syncOperations
        pipeline.removeHandler(context: context, promise: nil)
        if let encoder { pipeline.removeHandler(encoder, promise: nil) }
        let handler = webSocket.handler
        handler.value.inReadCycle = true
        pipeline.removeHandler(decoder).whenComplete { _ in handler.value.readCycleEnded() }
        return webSocket
    }
}

extension WebSocket {
    /// Runs a WebSocket on `channel`, whose opening handshake someone else performed: a
    /// framework's HTTP/1.1 upgrader (SwiftNIO's `NIOTypedHTTPServerUpgradeHandler`,
    /// Hummingbird's, Vapor's), or an HTTP/2 stream. The connection behaves as one this
    /// package upgraded itself: the same configuration, consumers, events and outcome, in
    /// either role.
    ///
    /// Call it on the channel's event loop once the HTTP handlers have left the pipeline (in
    /// an upgrader's completion handler): the connection's handler goes last, so a TLS handler
    /// of any kind (NIOSSL's, or WSTLS's `TLSHandler`) may stay in front of it. Bytes that followed
    /// the handshake must reach it through the pipeline, as NIO's upgraders forward them.
    ///
    /// ```swift
    /// NIOTypedWebSocketServerUpgrader(upgradePipelineHandler: { channel, head in
    ///     channel.eventLoop.makeCompletedFuture {
    ///         let webSocket = try WebSocket.adopt(channel, role: .server,
    ///                                             handshake: .init(target: head.uri), logger: logger)
    ///         Task { for await message in webSocket.messages { try? await webSocket.send(message) } }
    ///     }
    /// })
    /// ```
    ///
    /// - Parameters:
    ///   - channel: the upgraded channel; on its event loop.
    ///   - role: `.server` or `.client`: the masking rules, and which side closes TCP first.
    ///   - handshake: what the handshake agreed: the target, the subprotocol, and
    ///     permessage-deflate's settings when the upgrader negotiated it (the connection
    ///     compresses with them; without them it does not).
    ///   - configuration: limits, keepalive, timeouts and the outbound budget.
    ///   - consumer: an async task (``WebSocket/messages``) or event-loop callbacks.
    ///   - logger: where the connection logs.
    /// - Returns: the live connection.
    /// - Throws: the pipeline's error when the handler cannot be added (a closed channel).
    public static func adopt(
        _ channel: any Channel, role: WebSocketRole, handshake: Handshake = .init(), configuration: Configuration = .default,
        consumer: Consumer = .async, logger: Logger
    ) throws -> WebSocket {
        var handshake = handshake
        if handshake.remoteAddress == nil { handshake.remoteAddress = channel.remoteAddress }
        if handshake.localAddress == nil { handshake.localAddress = channel.localAddress }
        return try install(on: channel, role: role, configuration: configuration, handshake: handshake, consumer: consumer,
                           logger: logger)
    }
}
