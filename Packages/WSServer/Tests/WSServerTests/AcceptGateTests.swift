import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import WSServer

/// Counts the reads that reach the head of the listener's pipeline: the accepts asked of the
/// socket.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = Never
    var reads = 0
    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

/// The accept gate on an embedded listener: accepted channels are counted the moment they are
/// accepted, and the listener stops asking for more at the socket limit. Before, a burst was
/// accepted whole before any of it was counted (230 descriptors held at a pending cap of 64,
/// Scripts/attacks.sh connection-flood).
@Suite("AcceptGate: the pending cap holds on sockets, counted at accept")
struct AcceptGateTests {
    let loop = EmbeddedEventLoop()

    func listener(maxPending: Int, maxConnections: Int) throws -> (EmbeddedChannel, ConnectionRegistry, ReadCounter) {
        var configuration = WebSocketServer.Configuration()
        configuration.maxPendingConnections = maxPending
        configuration.maxConnections = maxConnections
        let registry = ConnectionRegistry()
        let counter = ReadCounter()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(
            AcceptGate(registry: registry, configuration: configuration, instruments: nil, logger: Logger(label: "test")))
        return (channel, registry, counter)
    }

    /// Closes the children and the listener: the registry and the children's close callbacks
    /// hold each other until the children close, as on a real server until it shuts down.
    func finish(_ listener: EmbeddedChannel, _ children: [EmbeddedChannel]) throws {
        while let _ = try listener.readInbound(as: (any Channel).self) {}
        for child in children where child.isActive { _ = try? child.finish() }
        loop.run()
        _ = try? listener.finish()
    }

    /// `count` new connections through `listener`, in order.
    func accept(_ count: Int, through listener: EmbeddedChannel) throws -> [EmbeddedChannel] {
        try (0..<count).map { _ in
            let child = try accepted()
            try listener.writeInbound(child as any Channel)
            return child
        }
    }

    func accepted() throws -> EmbeddedChannel {
        let child = EmbeddedChannel(loop: loop)
        try child.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return child
    }

    @Test("each accepted channel is counted at once; over the pending cap the oldest is closed in the same step")
    func countedAtAccept() throws {
        let (listener, registry, _) = try listener(maxPending: 3, maxConnections: 2)
        let children = try accept(5, through: listener)
        loop.run()
        #expect(registry.pendingCount == 3)
        #expect(children.prefix(2).allSatisfy { !$0.isActive }, "the two oldest are closed")
        #expect(children.suffix(3).allSatisfy { $0.isActive })
        #expect(registry.connectionCount == 3, "a closed socket is no longer counted")
        try finish(listener, children)
    }

    @Test("at pending + connections + 4 sockets the listener asks for no more, and asks again when one closes")
    func stopsAccepting() throws {
        let (listener, registry, counter) = try listener(maxPending: 2, maxConnections: 1)
        // Upgraded connections are not pending: hold 1 + 2 + 4 = 7 sockets without a drop.
        var children: [EmbeddedChannel] = []
        for index in 0..<7 {
            children += try accept(1, through: listener)
            if index < 5, let id = registry.id(of: children[index]) {
                registry.upgradeAccepted(id)
                registry.upgraded(id)
            }
        }
        #expect(registry.connectionCount == 7)
        let before = counter.reads
        listener.read()
        #expect(counter.reads == before, "no accept asked for at the limit")
        try children[0].close().wait()
        loop.run()
        #expect(counter.reads == before + 1, "the close asked for the held accept")
        listener.read()
        #expect(counter.reads == before + 2, "below the limit, reads go through")
        try finish(listener, children)
    }

    @Test("a connection whose upgrade is being decided is dropped only when none without a request is left")
    func requestedLast() throws {
        let (listener, registry, _) = try listener(maxPending: 3, maxConnections: 10)
        var children = try accept(3, through: listener)
        registry.requested(registry.id(of: children[0])!)   // the oldest sent its request
        children += try accept(2, through: listener)
        loop.run()
        #expect(children[0].isActive, "its request is being decided")
        #expect(!children[1].isActive && !children[2].isActive)
        // A refused request makes it an HTTP connection again, the newest without a request.
        registry.requestRefused(registry.id(of: children[0])!)
        children += try accept(1, through: listener)
        loop.run()
        #expect(!children[3].isActive && children[0].isActive)
        try finish(listener, children)
    }
}
