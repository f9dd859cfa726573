import Logging
import NIOCore
@_spi(WSInternal) import WSHTTP

/// The first handler of the listening channel: every accepted connection is counted here, on
/// the listener's event loop, the moment it is accepted, before it goes to its own event loop
/// to be set up. So the pending cap holds on file descriptors too: the oldest pending
/// connection is dropped by the same step that takes a new one in, and when as many sockets
/// are open as the server may hold (`maxPendingConnections` + `maxConnections`, and a few
/// being closed), it stops accepting until one closes; new connections wait in the kernel's
/// listen queue meanwhile, holding none of the process's descriptors.
///
/// Before, a burst of connections was accepted whole before any of them was counted: a
/// server with a pending cap of 64 held 230 descriptors during a burst of 500.
final class AcceptGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never

    /// Asks the gate, on the listener's loop, to accept again (see
    /// ``ConnectionRegistry/remove(_:)``).
    struct Resume: Sendable {}

    private let registry: ConnectionRegistry
    private let configuration: WebSocketServer.Configuration
    private let instruments: MetricsInstruments?
    private let logger: Logger
    /// A read was asked for while the server held all the sockets it may: it is made when one closes.
    private var readHeld = false

    init(registry: ConnectionRegistry, configuration: WebSocketServer.Configuration, instruments: MetricsInstruments?, logger: Logger) {
        self.registry = registry
        self.configuration = configuration
        self.instruments = instruments
        self.logger = logger
    }

    /// Sockets open beyond the caps before accepting stops: room for a new connection to come
    /// in and drop the oldest pending one while the dropped ones' sockets are being closed.
    static let closingAllowance = 4

    private var socketLimit: Int {
        max(1, configuration.maxPendingConnections) + max(0, configuration.maxConnections) + Self.closingAllowance
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let channel = unwrapInboundIn(data)
        instruments?.accepted()
        if let filter = configuration.connectionFilter, let remote = channel.remoteAddress, !filter(remote) {
            logger.debug("connection filtered out", metadata: ["remote": "\(remote)"])
            instruments?.refused("filter")
            channel.close(promise: nil)
            return
        }
        let deadline = NIODeadline.now() + TimeAmount(configuration.handshakeTimeout)
        guard let (id, dropped) = registry.add(channel, maxPending: configuration.maxPendingConnections, deadline: deadline) else {
            channel.close(promise: nil)
            return
        }
        let registry = registry, listener = context.channel
        channel.closeFuture.whenComplete { _ in
            if registry.remove(id) { listener.triggerUserOutboundEvent(Resume(), promise: nil) }
        }
        if let dropped {
            // The oldest connection that has not sent its request: a real client's comes in
            // milliseconds, a peer that holds handshakes open is the likeliest to be here.
            logger.debug("pending connection dropped", metadata: [
                "remote": "\(dropped.remoteAddress.map { "\($0)" } ?? "?")",
                "maxPendingConnections": "\(configuration.maxPendingConnections)",
            ])
            dropped.close(promise: nil)
            instruments?.refused("pending_limit")
        }
        context.fireChannelRead(data) // as it came: wrapping the channel again costs 7,000 instructions
    }

    func read(context: ChannelHandlerContext) {
        if registry.pauseAccepting(atSockets: socketLimit) {
            readHeld = true
        } else {
            context.read()
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is Resume else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed()
        if readHeld {
            readHeld = false
            read(context: context)
        }
    }
}
