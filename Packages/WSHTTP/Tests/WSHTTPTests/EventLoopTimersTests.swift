import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
import WSFraming
@_spi(WSInternal) @testable import WSHTTP

extension EventLoopTimers {
    /// Whether every entry is no earlier than its parent and knows its own place.
    func isValidHeap(_ handlers: [WebSocketHandler]) -> Bool {
        let armed = handlers.filter { $0.timerSlot >= 0 }
        guard armed.count == count, Set(armed.map(\.timerSlot)).count == count else { return false }
        let bySlot = Dictionary(uniqueKeysWithValues: armed.map { ($0.timerSlot, $0) })
        return (1..<max(1, count)).allSatisfy { slot in
            guard let child = bySlot[slot]?.armedDeadline, let parent = bySlot[(slot - 1) / 2]?.armedDeadline else { return false }
            return parent <= child
        }
    }
}

/// The connections of one event loop share one heap of deadlines behind one NIO timer
/// (``EventLoopTimers``); these tests drive it on an embedded loop, whose time never moves.
@Suite("EventLoopTimers: one timer per event loop, no timer per connection", .timeLimit(.minutes(1)))
struct EventLoopTimersTests {
    let loop = EmbeddedEventLoop()

    /// A connection's handler on its own channel of `loop`, sharing `buffers` (its timers).
    func handler(keepAlive seconds: Int64, buffers: EventLoopBuffers) throws -> (WebSocketHandler, EmbeddedChannel) {
        var configuration = WebSocket.Configuration()
        configuration.autoPing = .every(.seconds(seconds), timeout: .seconds(5))
        let handler = WebSocketHandler(role: .server, configuration: configuration, shared: WebSocketShared(eventLoop: loop),
                                       logger: Logger(label: "test"), defersFailure: false, buffers: buffers)
        let channel = EmbeddedChannel(loop: loop)
        channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 5000), promise: nil)
        try channel.pipeline.syncOperations.addHandler(handler)
        return (handler, channel)
    }

    @Test("each connection's keepalive is one entry of the loop's heap, earliest first; a closed one leaves nothing")
    func entriesComeAndGo() throws {
        let buffers = EventLoopBuffers.of(loop)
        let (slow, slowChannel) = try handler(keepAlive: 30, buffers: buffers)
        let (fast, fastChannel) = try handler(keepAlive: 10, buffers: buffers)
        let (middle, middleChannel) = try handler(keepAlive: 20, buffers: buffers)
        #expect(buffers.timers.count == 3)
        #expect(buffers.timers.isValidHeap([slow, fast, middle]))
        #expect(buffers.timers.earliest == fast.armedDeadline)
        #expect(buffers.timers.nextFire == fast.armedDeadline, "the one NIO timer is set for the earliest")
        _ = try fastChannel.finish()
        #expect(fast.timerSlot == -1 && fast.armedDeadline == nil)
        #expect(buffers.timers.count == 2)
        #expect(buffers.timers.earliest == middle.armedDeadline)
        _ = try slowChannel.finish()
        _ = try middleChannel.finish()
        #expect(buffers.timers.count == 0, "closed connections hold no entry")
        #expect(buffers.timers.nextFire == nil, "nor the NIO timer, which would hold the loop")
    }

    @Test("arms and cancels in any order keep the heap whole (seeded)")
    func randomArmsAndCancels() throws {
        let buffers = EventLoopBuffers.of(loop)
        var channels: [EmbeddedChannel] = []
        var handlers: [WebSocketHandler] = []
        for _ in 0..<64 {
            let (handler, channel) = try handler(keepAlive: 3600, buffers: buffers)
            handlers.append(handler)
            channels.append(channel)
        }
        var random = SplitMix(seed: 19)
        let base = WebSocketSession.Instant.now
        for step in 0..<2000 {
            let handler = handlers[Int(random.next() % 64)]
            if random.next() % 4 == 0 {
                buffers.timers.cancel(handler)
            } else {
                let at = WebSocketSession.Instant(nanoseconds: base.nanoseconds + Int64(random.next() % 1_000_000_000))
                buffers.timers.arm(handler, at: at, on: loop)
                #expect(handler.armedDeadline == at)
            }
            if step % 50 == 0 { #expect(buffers.timers.isValidHeap(handlers), "after step \(step)") }
        }
        #expect(buffers.timers.isValidHeap(handlers))
        let earliest = handlers.compactMap(\.armedDeadline).min()
        #expect(buffers.timers.earliest == earliest)
        for channel in channels { _ = try? channel.finish() }
        #expect(buffers.timers.count == 0)
    }

    @Test("on a real loop, every connection's keepalive ping goes out, from the loops' shared timers")
    func pingsOnARealLoop() async throws {
        var configuration = WebSocket.Configuration()
        configuration.autoPing = .every(.milliseconds(50), timeout: .seconds(5))
        let server = try await TestServer.start(configuration: configuration, handlers: echoHandlers)
        // Raw clients, which answer nothing: each gets its first ping (0x89: a final ping
        // frame) well inside the 5 s timeout, and no second one while it owes the pong.
        let pings = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await rawExchange(port: server.port, upgradeRequest(port: server.port)) { bytes in
                        bytes.contains(0x89)
                    }.filter { $0 == 0x89 }.count
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(pings.count == 20 && pings.allSatisfy { $0 >= 1 }, "\(pings)")
        await server.stop()
    }
}
