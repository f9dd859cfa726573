import NIOCore
import NIOPosix
import Synchronization
import Testing
import WSHTTP   // not @testable, not @_spi: this file sees what any user of the library sees
import WSServer

/// A pub/sub topic written as a third party would write one, on WSHTTP's public seam alone
/// (``WebSocket/onEventLoop(_:)`` and ``WebSocket/OnLoop``), the way ``WebSocketGroup`` is:
/// subscribers kept per event loop, one hop per loop per publish, never waiting, a subscriber
/// over its outbound budget closed with 1008, and leaving as it closes.
final class Topic: Sendable {
    /// What the topic did, in the order each event loop did it.
    enum Event: Sendable {
        /// A subscriber joined; `onItsLoop` whether it joined on its connection's event loop,
        /// `budget` its outbound budget as its `OnLoop` reported it.
        case joined(WebSocket.ID, onItsLoop: Bool, budget: Int)
        /// A subscriber over its outbound budget was closed with this reason.
        case closedAsSlow(WebSocket.ID, reason: String)
        /// A subscriber's connection ended.
        case left(WebSocket.ID, CloseOutcome)
    }

    /// The subscribers of one event loop. `@unchecked Sendable`: `table` is touched only on
    /// `eventLoop`.
    private final class Subscribers: @unchecked Sendable {
        let eventLoop: any EventLoop
        var table: [WebSocket.ID: WebSocket.OnLoop] = [:]
        init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }
    }

    private let loops = Mutex<[ObjectIdentifier: Subscribers]>([:])
    private let continuation: AsyncStream<Event>.Continuation
    let events: AsyncStream<Event>
    /// Subscribers closed as slow so far.
    let closedAsSlow = Atomic<Int>(0)

    init() { (events, continuation) = AsyncStream.makeStream() }

    /// Subscribes a connection that a task holds.
    func subscribe(_ webSocket: WebSocket) {
        let subscribers = self.subscribers(on: webSocket.channel.eventLoop)
        webSocket.onEventLoop { [self] member in join(member, subscribers) }
    }

    /// Subscribes a connection from its event loop.
    func subscribe(_ member: WebSocket.OnLoop) {
        join(member, subscribers(on: member.eventLoop))
    }

    /// Sends `message` to every subscriber but `except`, on each subscriber's loop.
    func publish(_ message: WebSocketMessage, except: WebSocket.ID? = nil) {
        for subscribers in loops.withLock({ Array($0.values) }) {
            subscribers.eventLoop.execute { [self] in
                for (id, member) in subscribers.table where id != except && member.state == .open {
                    if member.isWritable {
                        member.send(message)
                    } else {
                        let reason = "over \(member.maxBufferedOutboundBytes) bytes waiting"
                        subscribers.table[id] = nil
                        member.close(code: .policyViolation, reason: reason)
                        closedAsSlow.add(1, ordering: .relaxed)
                        continuation.yield(.closedAsSlow(id, reason: reason))
                    }
                }
            }
        }
    }

    private func join(_ member: WebSocket.OnLoop, _ subscribers: Subscribers) {
        let id = member.id
        guard member.state == .open, subscribers.table.updateValue(member, forKey: id) == nil else { return }
        continuation.yield(.joined(id, onItsLoop: member.eventLoop.inEventLoop, budget: member.maxBufferedOutboundBytes))
        member.whenClosed { [continuation] outcome in
            subscribers.table[id] = nil
            continuation.yield(.left(id, outcome))
        }
    }

    private func subscribers(on eventLoop: any EventLoop) -> Subscribers {
        loops.withLock { loops in
            if let subscribers = loops[ObjectIdentifier(eventLoop)] { return subscribers }
            let subscribers = Subscribers(eventLoop)
            loops[ObjectIdentifier(eventLoop)] = subscribers
            return subscribers
        }
    }
}

@Suite("WSHTTP's public seam is enough for a broadcast group of one's own", .timeLimit(.minutes(2)))
struct PublicBroadcastSeamTests {
    /// Subscribes (from a task as it opens, or from callbacks on "join") and publishes to the others.
    final class Relay: WebSocketEventLoopHandler {
        let topic: Topic
        init(_ topic: Topic) { self.topic = topic }
        func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
            if message.text == "join" { return topic.subscribe(webSocket) }
            topic.publish(message.message, except: webSocket.id)
        }
    }

    static func server(_ topic: Topic, fromEventLoop: Bool, configuration: WebSocket.Configuration = .default) async throws -> WebSocketServer {
        try await startServer(configuration: .init(webSocket: configuration), handlers: fromEventLoop
            ? WebSocketServerHandlers(consumer: .eventLoop { _ in Relay(topic) }, upgraded: { _ in })
            : WebSocketServerHandlers(upgraded: { webSocket in
                topic.subscribe(webSocket)
                for await message in webSocket.messages { topic.publish(message, except: webSocket.id) }
            }))
    }

    @Test("subscribed from a task or from callbacks, each on its own loop; everyone but the sender gets each message; a closed one leaves",
          arguments: [false, true])
    func publish(fromEventLoop: Bool) async throws {
        let topic = Topic()
        var events = topic.events.makeAsyncIterator()
        let server = try await Self.server(topic, fromEventLoop: fromEventLoop)
        let alice = try await connect(server), bob = try await connect(server), carol = try await connect(server)
        for client in [alice, bob, carol] {
            if fromEventLoop { try await client.send(text: "join") }
            guard case .joined(_, let onItsLoop, let budget) = await events.next() else {
                Issue.record("expected a join")
                return
            }
            #expect(onItsLoop, "an OnLoop is handed out on its connection's event loop")
            #expect(budget == WebSocket.Configuration.default.maxBufferedOutboundBytes)
        }
        try await alice.send(text: "to all")
        #expect(try await bob.receive() == .text("to all"))
        #expect(try await carol.receive() == .text("to all"))
        try await bob.send(binary: [1, 2, 3])
        #expect(try await alice.receive() == .binary([1, 2, 3]), "her own message did not come back to her")
        #expect(try await carol.receive() == .binary([1, 2, 3]))
        await carol.close()
        guard case .left(_, let outcome) = await events.next() else {
            Issue.record("expected Carol to leave")
            return
        }
        #expect(outcome == CloseOutcome(code: .normalClosure, wasClean: true))
        try await alice.send(text: "after carol")
        #expect(try await bob.receive() == .text("after carol"))
        await alice.close()
        await bob.close()
        await server.shutdown()
    }

    @Test("a subscriber that never reads goes over its budget: it is closed with 1008 naming the budget, leaves, and the other gets every message")
    func slowSubscriber() async throws {
        let topic = Topic()
        var events = topic.events.makeAsyncIterator()
        var configuration = WebSocket.Configuration.default
        configuration.maxBufferedOutboundBytes = 256 << 10
        configuration.closeTimeout = .seconds(1)
        configuration.deflate = nil // the bytes on the wire are the bytes sent
        let server = try await Self.server(topic, fromEventLoop: false, configuration: configuration)
        let fast = try await connect(server)
        let stalled = try await NeverReadingPeer.connect(port: server.boundPort)
        var joined: [WebSocket.ID] = []
        while joined.count < 2, case .joined(let id, _, _) = await events.next() { joined.append(id) }
        #expect(joined.count == 2)
        let payload = [UInt8](repeating: 7, count: 64 << 10)
        var sent = 0
        // Paced by the fast subscriber, which reads each one; the stalled one's socket buffers
        // fill, then its budget, after a few MiB.
        while sent < 2_000, topic.closedAsSlow.load(ordering: .relaxed) == 0 {
            topic.publish(.binary(payload + [UInt8(truncatingIfNeeded: sent)]))
            #expect(try await fast.receive() == .binary(payload + [UInt8(truncatingIfNeeded: sent)]))
            sent += 1
        }
        #expect(sent < 2_000, "the stalled subscriber was noticed before 125 MiB were published")
        guard case .closedAsSlow(let slowID, let reason) = await events.next() else {
            Issue.record("expected the stalled subscriber to be closed")
            return
        }
        #expect(reason == "over \(256 << 10) bytes waiting")
        // Its Close waits behind what it does not read: the close timeout ends the connection.
        guard case .left(let leftID, let outcome) = await events.next() else {
            Issue.record("expected the stalled subscriber to leave")
            return
        }
        #expect(leftID == slowID)
        #expect(outcome.reason.hasPrefix("close timeout"), "\(outcome)")
        topic.publish(.text("after the slow one"))
        #expect(try await fast.receive() == .text("after the slow one"))
        await fast.close()
        try? await stalled.channel.close()
        await server.shutdown()
    }
}

/// A client that sends an upgrade request, then never reads a byte.
struct NeverReadingPeer {
    let channel: any Channel

    static func connect(port: Int) async throws -> NeverReadingPeer {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 64 << 10)
            .connect(host: "127.0.0.1", port: port).get()
        let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        return NeverReadingPeer(channel: channel)
    }
}
