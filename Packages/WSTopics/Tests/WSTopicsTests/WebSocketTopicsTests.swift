import NIOCore
import Testing
import WSTopics

@Suite("WebSocketTopics: subscriptions and publishes on one node and across nodes", .timeLimit(.minutes(2)))
struct WebSocketTopicsTests {
    @Test("every subscriber but the sender gets each message; unsubscribing and closing leave the topic",
          arguments: [false, true])
    func oneNode(fromEventLoop: Bool) async throws {
        let topics = WebSocketTopics()
        let server = try await roomServer(topics, fromEventLoop: fromEventLoop)
        let alice = try await connect(port: server.port, target: "/room")
        let bob = try await connect(port: server.port, target: "/room")
        let carol = try await connect(port: server.port, target: "/room")
        if fromEventLoop {
            for member in [alice, bob, carol] { try await member.send(text: "subscribe") }
        }
        #expect(try await eventually { topics.subscriberCount(of: "room") == 3 })
        #expect(topics.activeTopics == ["room"])
        try await alice.send(text: "from alice")
        #expect(try await bob.receive() == .text("from alice"))
        #expect(try await carol.receive() == .text("from alice"))
        try await bob.send(binary: [1, 2, 3])
        #expect(try await alice.receive() == .binary([1, 2, 3]), "her own message did not come back to her")
        #expect(try await carol.receive() == .binary([1, 2, 3]))
        try await carol.send(text: "unsubscribe")
        #expect(try await eventually { topics.subscriberCount(of: "room") == 2 })
        try await alice.send(text: "after carol left")
        #expect(try await bob.receive() == .text("after carol left"))
        await bob.close()
        #expect(try await eventually { topics.subscriberCount(of: "room") == 1 })
        await alice.close()
        #expect(try await eventually { topics.activeTopics.isEmpty })
        #expect(try await carol.send(text: "to no one") == ())
        await carol.close()
        #expect(try await carol.receive() == nil, "nothing came to Carol after she left")
        #expect(topics.statistics.delivered == 5)
        await server.stop()
    }

    @Test("across two nodes on one bus: each message reaches every other subscriber once, in order; the backplane follows the first and last subscriber")
    func twoNodes() async throws {
        let bus = InProcessBus()
        let a = WebSocketTopics(backplane: bus.backplane()), b = WebSocketTopics(backplane: bus.backplane())
        let nodeA = try await roomServer(a), nodeB = try await roomServer(b, fromEventLoop: true)
        let alice = try await connect(port: nodeA.port, target: "/room")
        let anna = try await connect(port: nodeA.port, target: "/room")
        let bob = try await connect(port: nodeB.port, target: "/room")
        try await bob.send(text: "subscribe")
        #expect(try await eventually { a.subscriberCount(of: "room") == 2 && b.subscriberCount(of: "room") == 1 })
        #expect(bus.subscriptions.sorted { $0.count < $1.count } == [["room"], ["room"]])
        for sequence in 0..<100 { try await alice.send(text: "alice \(sequence)") }
        for sequence in 0..<100 {
            #expect(try await bob.receive() == .text("alice \(sequence)"), "across the bus, in order")
            #expect(try await anna.receive() == .text("alice \(sequence)"), "on her own node, once: the echo is dropped")
        }
        try await bob.send(binary: [7])
        #expect(try await alice.receive() == .binary([7]))
        #expect(try await anna.receive() == .binary([7]))
        #expect(a.statistics.sentToBackplane == 100 && b.statistics.receivedFromBackplane == 100)
        await bob.close()
        #expect(try await eventually { bus.subscriptions.filter(\.isEmpty).count == 1 }, "node b unsubscribed with its last subscriber")
        for client in [alice, anna] { await client.close() }
        #expect(try await eventually { bus.subscriptions.allSatisfy(\.isEmpty) })
        await nodeA.stop()
        await nodeB.stop()
    }

    @Test("while the backplane is down, its publishes are dropped and counted, and the node's own subscribers still get them")
    func backplaneDown() async throws {
        let bus = InProcessBus()
        let a = WebSocketTopics(backplane: bus.backplane()), b = WebSocketTopics(backplane: bus.backplane())
        let nodeA = try await roomServer(a), nodeB = try await roomServer(b)
        let alice = try await connect(port: nodeA.port, target: "/room"), anna = try await connect(port: nodeA.port, target: "/room")
        let bob = try await connect(port: nodeB.port, target: "/room")
        #expect(try await eventually { a.subscriberCount(of: "room") == 2 && b.subscriberCount(of: "room") == 1 })
        bus.isConnected = false
        try await alice.send(text: "lost across")
        #expect(try await anna.receive() == .text("lost across"))
        #expect(try await eventually { bus.dropped == 1 })
        bus.isConnected = true
        try await alice.send(text: "back")
        #expect(try await anna.receive() == .text("back"))
        #expect(try await bob.receive() == .text("back"), "at most once: the first never came, the next did")
        for client in [alice, anna, bob] { await client.close() }
        await nodeA.stop()
        await nodeB.stop()
    }

    @Test("a subscriber that never reads is closed with 1008 under .close and leaves; the others get every message")
    func slowSubscriber() async throws {
        let topics = WebSocketTopics(slowMember: .close)
        var configuration = WebSocket.Configuration.default
        configuration.maxBufferedOutboundBytes = 256 << 10
        configuration.closeTimeout = .milliseconds(500) // the stalled peer never answers the Close
        configuration.deflate = nil // the bytes on the wire are the bytes sent: the kernel's buffers fill sooner
        let server = try await roomServer(topics, configuration: configuration)
        let stalled = try await StalledClient.connect(port: server.port, target: "/room")
        let reader = try await connect(port: server.port, target: "/room", configuration: configuration)
        #expect(try await eventually { topics.subscriberCount(of: "room") == 2 })
        let message = [UInt8](repeating: 7, count: 64 << 10)
        var sent = 0
        // Paced by the reader, which is never behind; the stalled one's socket buffers fill,
        // then its outbound budget, after a few MiB.
        while sent < 2_000, topics.statistics.closedAsSlow == 0 {
            try topics.publish(.binary(message + [UInt8(truncatingIfNeeded: sent)]), to: "room")
            #expect(try await reader.receive() == .binary(message + [UInt8(truncatingIfNeeded: sent)]))
            sent += 1
        }
        #expect(topics.statistics.closedAsSlow == 1)
        #expect(try await eventually { topics.subscriberCount(of: "room") == 1 }, "it left the topic when its connection ended")
        try topics.publish(.text("after"), to: "room")
        #expect(try await reader.receive() == .text("after"))
        #expect(topics.statistics.closedAsSlow == 1, "closed once")
        await stalled.close()
        await reader.close()
        await server.stop()
    }
}
