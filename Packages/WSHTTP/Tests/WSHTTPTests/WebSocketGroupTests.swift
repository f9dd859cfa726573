import NIOCore
import NIOPosix
import Testing
@testable import WSHTTP

@Suite("WebSocketGroup: broadcasts that never wait for a slow member", .timeLimit(.minutes(2)))
struct WebSocketGroupTests {
    /// A server whose every connection joins `group` and broadcasts what it receives to the
    /// others: from a task (joining as it opens), or from event-loop callbacks (joining with a
    /// message "join"). "leave" leaves the group.
    static func room(_ group: WebSocketGroup, consumer: WebSocket.Consumer = .async,
                     configuration: WebSocket.Configuration = .default, lastClosed: OutcomeBox = OutcomeBox()) async throws -> TestServer {
        try await TestServer.start(configuration: configuration, handlers: WebSocketServerHandlers(
            consumer: consumer,
            upgraded: { webSocket in
                guard case .async = consumer else { return _ = await webSocket.closed() } // joins with a message
                group.add(webSocket)
                for await message in webSocket.messages {
                    if message == .text("leave") {
                        group.remove(webSocket)
                    } else {
                        group.broadcast(message, except: webSocket.id)
                    }
                }
                lastClosed.set(await webSocket.closed())
            }))
    }

    /// Relays each message to the group, from the event loop.
    final class Relay: WebSocketEventLoopHandler {
        let group: WebSocketGroup
        init(_ group: WebSocketGroup) { self.group = group }
        func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
            switch message.text {
            case "join": return group.add(webSocket)
            case "leave": return group.remove(webSocket)
            default: break
            }
            group.broadcast(message.message, except: webSocket.id)
        }
    }

    @Test("every member but the sender gets each message, compressed per member; a member that closes leaves",
          arguments: [false, true])
    func broadcast(fromEventLoop: Bool) async throws {
        let group = WebSocketGroup()
        let server = try await Self.room(group, consumer: fromEventLoop ? .eventLoop({ _ in Relay(group) }) : .async)
        let alice = try await connect(port: server.port), bob = try await connect(port: server.port)
        let carol = try await connect(port: server.port)
        if fromEventLoop {
            for member in [alice, bob, carol] { try await member.send(text: "join") }
        }
        #expect(bob.handshake.deflate != nil, "permessage-deflate is on by default: each member compresses for itself")
        #expect(try await eventually { group.count == 3 })
        let long = String(repeating: "a line everyone reads; ", count: 100)
        try await alice.send(text: long)
        #expect(try await bob.receive() == .text(long))
        #expect(try await carol.receive() == .text(long))
        try await bob.send(binary: [1, 2, 3])
        // Alice's first message is Bob's: her own did not come back to her.
        #expect(try await alice.receive() == .binary([1, 2, 3]))
        #expect(try await carol.receive() == .binary([1, 2, 3]))
        #expect(await carol.close() == CloseOutcome(code: .normalClosure, wasClean: true))
        #expect(try await eventually { group.count == 2 })
        try await alice.send(text: "after carol")
        #expect(try await bob.receive() == .text("after carol"))
        #expect(group.statistics == .init(delivered: 5, skipped: 0, closedAsSlow: 0))
        try await bob.send(text: "leave")
        #expect(try await eventually { group.count == 1 })
        try await alice.send(text: "bob has left")     // to no one: Alice is the only member
        try await bob.send(text: "still open")         // he has left the group, not the server
        #expect(try await alice.receive() == .text("still open"))
        #expect(group.statistics.delivered == 6)
        await alice.close()
        await bob.close()
        #expect(try await bob.receive() == nil, "nothing came to Bob after he left")
        #expect(try await eventually { group.count == 0 })
        await server.stop()
    }

    @Test("a large frame goes to the members as one shared buffer, in order with the small frames around it, compressed for a member that asked")
    func sharedLargeFrame() async throws {
        let group = WebSocketGroup()
        let server = try await Self.room(group)
        var plain = WebSocket.Configuration.default
        plain.deflate = nil  // these members write the prepared frame as it is: the shared buffer
        let alice = try await connect(port: server.port, configuration: plain), carol = try await connect(port: server.port, configuration: plain)
        let bob = try await connect(port: server.port)  // permessage-deflate: his frames are his own
        #expect(alice.handshake.deflate == nil && bob.handshake.deflate != nil)
        #expect(try await eventually { group.count == 3 })
        let large = [UInt8]((0..<(64 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let limit = WebSocketHandler.sharedFrameMinimum
        // Back to back, so that each member's small frames wait in its outbound buffer when the
        // shared one is written, and go before it; sizes on both sides of the threshold.
        let sequence: [WebSocketMessage] = [
            .text("first"), .binary(large), .binary(Array(large.prefix(limit - 2))), .binary(Array(large.prefix(limit))),
            .text("between"), .binary(large.reversed()), .text("last"),
        ]
        for round in 0..<20 {
            for message in sequence { group.broadcast(message) }
            for member in [alice, bob, carol] {
                for message in sequence {
                    #expect(try await member.receive() == message, "round \(round)")
                }
            }
        }
        #expect(group.statistics == .init(delivered: 3 * 20 * sequence.count, skipped: 0, closedAsSlow: 0))
        for member in [alice, bob, carol] { await member.close() }
        await server.stop()
    }

    @Test("a burst of small broadcasts to a member that never reads stops at its budget within the burst, not at the burst's end")
    func burstToStalledMember() async throws {
        let group = WebSocketGroup()
        var configuration = WebSocket.Configuration.default
        configuration.maxBufferedOutboundBytes = 64 << 10
        configuration.deflate = nil
        let server = try await Self.room(group, configuration: configuration)
        let slow = try await StalledClient.connect(port: server.port)
        #expect(try await eventually { group.count == 1 })
        // 20 MB in 1 KiB frames (copied, below the shared-frame size), all at once: the broadcasts
        // run one after another on the member's loop, before any scheduled flush.
        let burst = 20_000
        let message = WebSocketMessage.binary([UInt8](repeating: 9, count: 1024))
        for _ in 0..<burst { group.broadcast(message) }
        #expect(try await eventually { group.statistics.delivered + group.statistics.skipped == burst })
        // What was queued for it is what the kernel's buffers (a few MiB on loopback) and its
        // budget hold, not the burst.
        #expect(group.statistics.delivered < burst / 3, "\(group.statistics)")
        try? await slow.channel.close()
        await server.stop()
    }

    @Test("a member that stops reading misses messages, the others get every one in order; with .close it is closed and leaves",
          arguments: [WebSocketGroup.SlowMemberPolicy.skipMessage, .close])
    func slowMember(policy: WebSocketGroup.SlowMemberPolicy) async throws {
        let group = WebSocketGroup(slowMember: policy)
        var configuration = WebSocket.Configuration.default
        configuration.maxBufferedOutboundBytes = 256 << 10
        configuration.closeTimeout = .seconds(1)
        configuration.deflate = nil // the bytes on the wire are the bytes sent: the kernel's buffers fill sooner
        let lastClosed = OutcomeBox()
        let server = try await Self.room(group, configuration: configuration, lastClosed: lastClosed)
        let fast = try await connect(port: server.port, configuration: configuration)
        let slow = try await StalledClient.connect(port: server.port)
        #expect(try await eventually { group.count == 2 })
        let message = [UInt8](repeating: 7, count: 64 << 10)
        var sent = 0
        // Paced by the fast member, which reads each one: it is never behind. The stalled one's
        // socket buffers fill, then its outbound limit, after a few MiB.
        while sent < 2_000 {
            group.broadcast(.binary(message + [UInt8(truncatingIfNeeded: sent)]))
            sent += 1
            #expect(try await fast.receive() == .binary(message + [UInt8(truncatingIfNeeded: sent - 1)]))
            let statistics = group.statistics
            if statistics.skipped >= 10 || statistics.closedAsSlow == 1 { break }
        }
        let statistics = group.statistics
        switch policy {
        case .skipMessage:
            #expect(statistics.skipped >= 10)
            // The two members may sit on different event loops: the stalled one's loop counts
            // its skip a moment after the fast one has received the message.
            #expect(try await eventually { group.statistics.delivered + group.statistics.skipped == 2 * sent })
            #expect(group.count == 2, "a slow member stays")
        case .close:
            #expect(statistics.closedAsSlow == 1)
            #expect(try await eventually { group.count == 1 }, "it leaves as it is closed")
            for extra in 0..<5 {
                group.broadcast(.text("after \(extra)"))
                #expect(try await fast.receive() == .text("after \(extra)"))
            }
            #expect(group.statistics.closedAsSlow == 1, "closed once, not at every broadcast")
            // Its Close waits behind what it does not read: the close timeout ends the connection.
            #expect(try await eventually { lastClosed.value?.reason.hasPrefix("close timeout") == true },
                    "\(String(describing: lastClosed.value))")
        }
        // Whatever the stalled member costs is bounded: its socket's share, not what was broadcast.
        #expect(sent < 2_000, "the stalled member was noticed before 125 MiB were broadcast")
        await fast.close()
        try? await slow.channel.close()
        await server.stop()
    }
}

/// A client that upgrades, then never reads a byte.
struct StalledClient {
    let channel: any Channel

    static func connect(port: Int) async throws -> StalledClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 64 << 10)
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(bytes: upgradeRequest(port: port))).get()
        return StalledClient(channel: channel)
    }
}
