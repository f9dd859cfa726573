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
        let handler = WebSocketHandler(role: role, configuration: configuration, shared: shared, logger: logger)
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
}
