import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import WSHTTP
import WSTLS

@Suite("TLS connections: close_notify, bounded waits, no OpenSSL object left behind", .timeLimit(.minutes(3)))
struct TLSLifecycleTests {
    let certificates = TestCertificates.shared

    @Test("10,000 connections opened and closed leave no OpenSSL connection object alive")
    func noLeak() async throws {
        let serverContext = try TLSServerContext(certificates.server())
        let clientContext = try TLSClientContext(certificates.client())
        let server = try await TLSTestServer.start(serverContext)
        let total = 10_000, lanes = 8
        let port = server.port
        let completed = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<lanes {
                group.addTask {
                    var done = 0
                    for _ in 0..<(total / lanes) {
                        let events = EventRecorder()
                        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                            .channelInitializer { channel in
                                channel.eventLoop.makeCompletedFuture {
                                    try channel.pipeline.syncOperations.addHandlers([
                                        TLSHandler(client: clientContext, serverHostname: "localhost"), events,
                                    ])
                                }
                            }
                            .connect(host: "127.0.0.1", port: port).get()
                        try await events.handshake.futureResult(on: channel.eventLoop).get()
                        try await channel.close()
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(completed == total)
        // The server's side closes when the client's close_notify (or FIN) arrives.
        let deadline = ContinuousClock.now + .seconds(10)
        while serverContext.liveConnections + clientContext.liveConnections > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(clientContext.liveConnections == 0)
        #expect(serverContext.liveConnections == 0)
        await server.stop()
    }

    @Test("closing sends close_notify, and the peer answers with its own before the socket closes")
    func closeNotifyBothWays() async throws {
        let serverEvents = EventRecorder()
        let server = try await TLSTestServer.start(try TLSServerContext(certificates.server()), recorder: serverEvents)
        let clientEvents = EventRecorder()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        TLSHandler(client: try TLSClientContext(certificates.client()), serverHostname: "localhost",
                                   closeNotifyTimeout: .seconds(10)),
                        clientEvents,
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: server.port).get()
        try await clientEvents.handshake.futureResult(on: channel.eventLoop).get()
        try await channel.writeAndFlush(ByteBuffer(string: "ping")).get()
        try await serverEvents.waitForBytes(4)
        let started = ContinuousClock.now
        try await channel.close()
        // The client's close returned on the server's answer, long before its 10 s bound.
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(serverEvents.closeNotifyReceived)
        #expect(clientEvents.closeNotifyReceived)
        await server.stop()
    }

    @Test("a peer that never answers close_notify holds a close for closeNotifyTimeout, no longer")
    func boundedCloseNotifyWait() async throws {
        let deaf = DeafAfterArming()
        let server = try await TLSTestServer.start(try TLSServerContext(certificates.server()), socketSide: deaf)
        let clientEvents = EventRecorder()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        TLSHandler(client: try TLSClientContext(certificates.client()), serverHostname: "localhost",
                                   closeNotifyTimeout: .milliseconds(300)),
                        clientEvents,
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: server.port).get()
        try await clientEvents.handshake.futureResult(on: channel.eventLoop).get()
        deaf.arm()
        let started = ContinuousClock.now
        try await channel.close()
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(250))
        #expect(waited < .seconds(5))
        #expect(!clientEvents.closeNotifyReceived)
        await server.stop()
    }

    @Test("a close whose close_notify cannot be written (the socket is gone) completes at once")
    func closeOnBrokenSocket() async throws {
        let server = try await TLSTestServer.start(try TLSServerContext(certificates.server()))
        let broken = BreakWritesAfterArming()
        let events = EventRecorder()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        broken,
                        TLSHandler(client: try TLSClientContext(certificates.client()), serverHostname: "localhost",
                                   closeNotifyTimeout: .seconds(10)),
                        events,
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: server.port).get()
        try await events.handshake.futureResult(on: channel.eventLoop).get()
        broken.arm()
        let started = ContinuousClock.now
        try? await channel.close()
        #expect(ContinuousClock.now - started < .seconds(5)) // not the 10 s of closeNotifyTimeout
        #expect(!channel.isActive)
        await server.stop()
    }

    @Test("a client that never finishes the handshake is cut off by the handshake timeout")
    func handshakeTimeout() async throws {
        let server = try await TLSTestServer.start(try TLSServerContext(certificates.server()), handshakeTimeout: .milliseconds(300))
        let started = ContinuousClock.now
        // Half a ClientHello's record header, then silence.
        let answer = try await rawExchange(port: server.port, [0x16, 0x03, 0x01], timeout: .seconds(5))
        #expect(ContinuousClock.now - started < .seconds(8)) // the 300 ms limit, on a loaded machine
        #expect(answer.count < 100) // at most an alert
        await server.stop()
    }
}

/// A TLS-only server (no HTTP, no WebSocket) on 127.0.0.1 with a free port: each connection is
/// `[socketSide?, TLSHandler, recorder?]`.
struct TLSTestServer {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(_ context: TLSServerContext, recorder: EventRecorder? = nil, socketSide: (any ChannelHandler & Sendable)? = nil,
                      handshakeTimeout: TimeAmount = .seconds(10)) async throws -> TLSTestServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 512)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let socketSide { try operations.addHandler(socketSide) }
                    try operations.addHandler(TLSHandler(server: context, handshakeTimeout: handshakeTimeout))
                    if let recorder { try operations.addHandler(recorder) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TLSTestServer(channel: channel)
    }

    func stop() async { try? await channel.close() }
}

/// Records what a TLS handler passes on: the handshake, plaintext bytes, close_notify.
/// `@unchecked Sendable`: its state is guarded by a mutex; one recorder per channel.
final class EventRecorder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private struct State {
        var bytes = 0
        var closeNotify = false
        var handshakeDone = false
        var handshakeWaiters: [EventLoopPromise<Void>] = []
    }
    private let state = Mutex(State())

    var closeNotifyReceived: Bool { state.withLock { $0.closeNotify } }

    /// Completes when the handshake has finished.
    struct Handshake { let recorder: EventRecorder }
    var handshake: Handshake { Handshake(recorder: self) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = unwrapInboundIn(data).readableBytes
        state.withLock { $0.bytes += count }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSHandshakeCompleted {
            let waiters = state.withLock { state -> [EventLoopPromise<Void>] in
                state.handshakeDone = true
                defer { state.handshakeWaiters = [] }
                return state.handshakeWaiters
            }
            waiters.forEach { $0.succeed() }
        }
        if event is TLSCloseNotifyReceived { state.withLock { $0.closeNotify = true } }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let waiters = state.withLock { state -> [EventLoopPromise<Void>] in
            defer { state.handshakeWaiters = [] }
            return state.handshakeWaiters
        }
        waiters.forEach { $0.fail(error) }
    }

    func waitForBytes(_ count: Int, timeout: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ $0.bytes }) < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    fileprivate func addHandshakeWaiter(_ promise: EventLoopPromise<Void>) {
        let done = state.withLock { state -> Bool in
            if !state.handshakeDone { state.handshakeWaiters.append(promise) }
            return state.handshakeDone
        }
        if done { promise.succeed() }
    }
}

extension EventRecorder.Handshake {
    /// A future of the handshake's end, on `eventLoop`.
    func futureResult(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        recorder.addHandshakeWaiter(promise)
        return promise.futureResult
    }
}

/// Next to the socket: once armed, drops everything the peer sends, so the TLS handler behind
/// it never sees (nor answers) a close_notify.
final class DeafAfterArming: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let armed = Atomic<Bool>(false)
    func arm() { armed.store(true, ordering: .relaxed) }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !armed.load(ordering: .relaxed) { context.fireChannelRead(data) }
    }
}

/// Next to the socket: once armed, fails every write and closes the channel at once, as NIO does
/// when a write finds the connection reset.
final class BreakWritesAfterArming: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer
    private let armed = Atomic<Bool>(false)
    func arm() { armed.store(true, ordering: .relaxed) }
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard armed.load(ordering: .relaxed) else {
            context.write(data, promise: promise)
            return
        }
        promise?.fail(ChannelError.ioOnClosedChannel)
        context.close(promise: nil)
    }
}
