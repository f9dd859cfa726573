import Logging
import NIOCore
import WSFraming

extension WebSocket {
    /// Who consumes a new connection's messages.
    public enum Consumer: Sendable {
        /// An async task, through ``WebSocket/messages`` or ``WebSocket/receive()``.
        case async
        /// Callbacks on the event loop; the closure makes the handler, on the event loop.
        case eventLoop(@Sendable () -> any WebSocketEventLoopHandler)
    }

    /// Puts a live connection on `channel`, whose handshake is done: the connection's handler
    /// goes at `position` in the pipeline. Must run on the channel's event loop.
    static func install(
        on channel: any Channel, role: WebSocketRole, configuration: Configuration, handshake: Handshake,
        consumer: Consumer, logger: Logger, position: ChannelPipeline.SynchronousOperations.Position = .last
    ) throws -> WebSocket {
        channel.eventLoop.preconditionInEventLoop()
        let shared = WebSocketShared(eventLoop: channel.eventLoop)
        let defersFailure = if case .async = consumer { true } else { false }
        // The transform follows what the handshake agreed, whatever the configuration says now.
        let deflate = handshake.deflate.flatMap { settings in (configuration.deflate ?? .default).transform(settings, role: role) }
        let handler = WebSocketHandler(role: role, configuration: configuration, shared: shared, logger: logger,
                                       defersFailure: defersFailure, deflate: deflate)
        handler.target = handshake.target
        handler.remoteAddress = handshake.remoteAddress
        let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        var inbound: InboundQueue?
        switch consumer {
        case .async:
            let queue = InboundQueue(highWatermark: configuration.maxBufferedMessages, handler: bound)
            handler.consumer = .async(queue)
            inbound = queue
        case .eventLoop(let make):
            handler.consumer = .eventLoop(make())
        }
        try channel.pipeline.syncOperations.addHandler(handler, position: position)
        return WebSocket(role: role, handshake: handshake, channel: channel, configuration: configuration,
                         logger: logger, handler: bound, shared: shared, inbound: inbound)
    }

    /// Puts a live connection in place of an upgrade's HTTP handlers: right after the
    /// upgrade handler of `context`, which then leaves with `encoder` and `decoder`. The
    /// decoder hands over the bytes that followed the handshake as it leaves, outside any
    /// read; until it has left, the connection holds its writes as if in a read.
    static func replaceHTTPHandlers(
        of context: ChannelHandlerContext, encoder: some RemovableChannelHandler, decoder: some RemovableChannelHandler,
        role: WebSocketRole, configuration: Configuration, handshake: Handshake, consumer: Consumer, logger: Logger
    ) throws -> WebSocket {
        let webSocket = try install(on: context.channel, role: role, configuration: configuration, handshake: handshake,
                                    consumer: consumer, logger: logger, position: .after(context.handler))
        let pipeline = context.channel.pipeline.syncOperations
        pipeline.removeHandler(context: context, promise: nil)
        pipeline.removeHandler(encoder, promise: nil)
        let handler = webSocket.handler
        handler.value.inReadCycle = true
        pipeline.removeHandler(decoder).whenComplete { _ in handler.value.readCycleEnded() }
        return webSocket
    }
}
