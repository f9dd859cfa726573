import NIOCore
import NIOPosix
import Synchronization
import Testing
import WSFraming
@testable import WSHTTP

/// Every bound of a live connection, held against a peer that means harm: one that never
/// reads, floods pings, or stops reading with much unread. Each test asserts the bytes the
/// server holds, the time, and the outcome.
@Suite("Hostile peers: the outbound budget and the close deadline hold", .timeLimit(.minutes(2)))
struct HostilePeerTests {
    /// A server whose event-loop handler echoes every message and records its connections'
    /// channels and outcomes, so that the test can ask NIO how many bytes wait for a peer.
    final class Recorder: Sendable {
        let channels = Mutex<[any Channel]>([])
        let outcomes = Mutex<[CloseOutcome]>([])
        let received = Atomic<Int>(0)

        /// Bytes queued in the server's channels for their peers.
        func queuedBytes() async -> Int {
            var sum = 0
            for channel in channels.withLock({ $0 }) { sum += await channel.bufferedBytes() }
            return sum
        }
    }

    final class EchoOnLoop: WebSocketEventLoopHandler {
        let recorder: Recorder
        init(_ recorder: Recorder) { self.recorder = recorder }
        func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
            recorder.received.add(1, ordering: .relaxed)
            webSocket.send(message)
        }
        func webSocketDidClose(_ webSocket: WebSocket.OnLoop, outcome: CloseOutcome) {
            recorder.outcomes.withLock { $0.append(outcome) }
        }
    }

    static func echoServer(_ configuration: WebSocket.Configuration, _ recorder: Recorder) async throws -> TestServer {
        try await TestServer.start(configuration: configuration, handlers: WebSocketServerHandlers(
            // The channel is recorded as the connection opens: a loaded machine may drop a
            // stalled peer before its first message is whole.
            consumer: .eventLoop { _ in EchoOnLoop(recorder) }, upgraded: { webSocket in
                recorder.channels.withLock { $0.append(webSocket.channel) }
            }))
    }

    @Test("a client that sends 200 x 1 MiB and never reads: the server stops reading it and holds at most the budget plus one message")
    func neverReads() async throws {
        let recorder = Recorder()
        var configuration = WebSocket.Configuration(maxFrameSize: 1 << 20, maxMessageSize: 1 << 20, autoPing: .disabled)
        configuration.maxBufferedOutboundBytes = 1 << 20
        let server = try await Self.echoServer(configuration, recorder)
        let attacker = try await RawClient.connect(port: server.port)
        let message = maskedFrame(.binary, [UInt8](repeating: 0x42, count: 1 << 20))
        for _ in 0..<200 { attacker.write(message) }
        // The echoes stall: the server's count of messages stops growing well short of 200.
        var last = -1
        while recorder.received.load(ordering: .relaxed) != last {
            last = recorder.received.load(ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(last < 50, "the server stopped reading after \(last) messages")
        let queued = await recorder.queuedBytes()
        #expect(queued <= (1 << 20) + (1 << 20) + (256 << 10), "queued for the peer: \(queued) bytes")
        // Another client is served as usual meanwhile.
        let other = try await connect(port: server.port)
        try await other.send(text: "still served")
        #expect(try await other.receive() == .text("still served"))
        await other.close()
        await attacker.close()
        await server.stop()
    }

    @Test("a peer that stops reading with 8 MiB unread is dropped within ping interval + ping timeout + close deadline, 1006 with the reason")
    func stalledPeerDropped() async throws {
        let recorder = Recorder()
        var configuration = WebSocket.Configuration(autoPing: .every(.milliseconds(200), timeout: .milliseconds(300)),
                                                    closeTimeout: .milliseconds(500))
        configuration.maxBufferedOutboundBytes = 256 << 10
        let server = try await Self.echoServer(configuration, recorder)
        let attacker = try await RawClient.connect(port: server.port)
        let message = maskedFrame(.binary, [UInt8](repeating: 0x42, count: 64 << 10))
        for _ in 0..<128 { attacker.write(message) }
        try #require(try await eventually { recorder.channels.withLock { !$0.isEmpty } })
        let started = ContinuousClock.now
        let channel = try #require(recorder.channels.withLock { $0.first })
        try await channel.closeFuture.get()
        let took = started.duration(to: .now)
        #expect(took < .seconds(4), "200 ms + 300 ms + 500 ms, with room for a loaded machine: took \(took)")
        let outcome = try #require(recorder.outcomes.withLock { $0.first })
        #expect(outcome.code == .abnormalClosure && !outcome.wasClean)
        #expect(outcome.reason.hasPrefix("keepalive: no Pong"), "\(outcome.reason)")
        #expect(await recorder.queuedBytes() == 0)
        await attacker.close()
        await server.stop()
    }

    @Test("1,000,000 pings never read: the server answers while under the budget, then stops reading; what it holds stays bounded")
    func pingFlood() async throws {
        let recorder = Recorder()
        var configuration = WebSocket.Configuration(autoPing: .disabled)
        configuration.maxBufferedOutboundBytes = 64 << 10
        let server = try await Self.echoServer(configuration, recorder)
        let attacker = try await RawClient.connect(port: server.port)
        try #require(try await eventually { recorder.channels.withLock { !$0.isEmpty } })
        let chunk = (0..<10_000).flatMap { _ in maskedFrame(.ping, []) }
        for _ in 0..<100 { attacker.write(chunk) }
        var maxQueued = 0
        for _ in 0..<20 {
            maxQueued = max(maxQueued, await recorder.queuedBytes())
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(maxQueued <= (64 << 10) + (256 << 10), "queued pongs: \(maxQueued) bytes")
        let other = try await connect(port: server.port)
        try await other.send(text: "still served")
        #expect(try await other.receive() == .text("still served"))
        await other.close()
        await attacker.close()
        await server.stop()
    }

    @Test("a send waiting for a peer that does not read stops when its task is cancelled: cancelled, not sent")
    func cancelledSend() async throws {
        let server = try await RawServer.start(.stopsReading)
        var configuration = WebSocket.Configuration()
        configuration.maxBufferedOutboundBytes = 64 << 10
        let client = try await connect(port: server.port, configuration: configuration)
        let started = Gate()
        let sending = Task { () throws(WebSocketError) -> Int in
            var sent = 0
            while true {
                if sent == 8 { started.open() }
                try await client.send(binary: [UInt8](repeating: 1, count: 256 << 10))
                sent += 1
            }
        }
        await started.wait()
        try await Task.sleep(for: .milliseconds(200))
        sending.cancel()
        let result = await sending.result
        guard case .failure(let error) = result else { Issue.record("the send went on"); return }
        #expect((error as? WebSocketError)?.code == .cancelled)
        await client.close(timeout: .milliseconds(100))
        await server.stop()
    }

    @Test("identities are never reused: a closed connection's ID is not given to the next")
    func identities() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        var seen: Set<WebSocket.ID> = []
        for _ in 0..<5 {
            let client = try await connect(port: server.port)
            #expect(seen.insert(client.id).inserted)
            await client.close()
        }
        await server.stop()
    }
}

/// A client that does the opening handshake by hand and then never reads: writes pile up in
/// its own channel as the server stops reading.
final class RawClient: Sendable {
    let channel: any Channel

    private init(channel: any Channel) { self.channel = channel }

    static func connect(port: Int) async throws -> RawClient {
        let handshake = HandshakeReader()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_rcvbuf), value: 16 << 10)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handshake) } }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(bytes: upgradeRequest(port: port))).get()
        try await handshake.done.futureResult.get()
        return RawClient(channel: channel)
    }

    /// Queues `bytes` without waiting for them to be written.
    func write(_ bytes: [UInt8]) {
        channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
    }

    func close() async { try? await channel.close() }

    /// Reads until the 101's end, then stops reading for good.
    private final class HandshakeReader: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: used only on its channel's event loop.
        typealias InboundIn = ByteBuffer
        var head: [UInt8] = []
        let done = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            head += unwrapInboundIn(data).readableBytesView
            if head.firstRange(of: Array("\r\n\r\n".utf8)) != nil {
                try? context.channel.syncOptions?.setOption(.autoRead, value: false)
                done.succeed()
            }
        }
    }
}

extension Channel {
    /// The bytes written to this channel and not yet taken by its socket.
    func bufferedBytes() async -> Int {
        (try? await eventLoop.submit { [self] in try syncOptions?.getOption(.bufferedWritableBytes) ?? 0 }.get()) ?? 0
    }
}
