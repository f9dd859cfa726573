import NIOCore
import Testing
import WSFraming
@testable import WSHTTP

/// Every timeout of a live connection, against a peer that stops answering.
@Suite("Timeouts: ping, keepalive, idle, close", .timeLimit(.minutes(1)))
struct TimeoutTests {
    @Test("ping(timeout:) throws pingTimeout when no Pong comes")
    func pingTimeout() async throws {
        let server = try await RawServer.start(.silent)
        let client = try await connect(port: server.port)
        let started = ContinuousClock.now
        let error = await #expect(throws: WebSocketError.self) { try await client.ping(timeout: .milliseconds(200)) }
        #expect(error?.code == .pingTimeout)
        #expect(started.duration(to: .now) < .seconds(5))
        #expect(client.isOpen, "a ping that timed out leaves the connection to the caller")
        await client.close(timeout: .milliseconds(100))
        await server.stop()
    }

    @Test("keepalive: a peer that stops answering pings is closed with 1011, reported as 1006")
    func keepAliveTimesOut() async throws {
        let server = try await RawServer.start(.silent)
        var configuration = WebSocket.Configuration()
        configuration.autoPing = .every(.milliseconds(100), timeout: .milliseconds(200))
        let client = try await connect(port: server.port, configuration: configuration)
        let started = ContinuousClock.now
        let outcome = await client.closed()
        #expect(outcome.code == .abnormalClosure && !outcome.wasClean)
        #expect(outcome.reason.hasPrefix("keepalive: no Pong within"), "a clear reason: \(outcome.reason)")
        #expect(started.duration(to: .now) < .seconds(5))
        let frames = try await server.framesUntilClose()
        #expect(frames.first?.opcode == .ping)
        #expect(frames.last?.opcode == .close)
        #expect(frames.last.map { Array($0.payload.prefix(2)) } == [0x03, 0xF3])
        await server.stop()
    }

    @Test("keepalive: a live peer answers and the connection stays open")
    func keepAliveHealthy() async throws {
        var configuration = WebSocket.Configuration()
        configuration.autoPing = .every(.milliseconds(50), timeout: .seconds(3)) // a late Pong on a loaded machine is still live
        let server = try await TestServer.start(configuration: configuration, handlers: echoHandlers)
        let client = try await connect(port: server.port, configuration: configuration)
        try await Task.sleep(for: .milliseconds(400))
        #expect(client.isOpen)
        try await client.send(text: "still here")
        #expect(try await client.receive() == .text("still here"))
        #expect(await client.close() == CloseOutcome(code: .normalClosure, wasClean: true))
        await server.stop()
    }

    @Test("idle timeout: a quiet connection is closed with 1001")
    func idle() async throws {
        // The default keepalive (a ping after 30 s of silence) stays on: it is far slower
        // than this idle limit, so the silence lasts.
        var serverConfiguration = WebSocket.Configuration()
        // Long enough that the first message arrives in time on a loaded machine (the suites
        // run in parallel, the TLS leak check beside this one): the idle time counts from the
        // 101, and one run here took over a second from the 101 to the first message.
        serverConfiguration.idleTimeout = .seconds(2)
        let server = try await TestServer.start(configuration: serverConfiguration, handlers: echoHandlers)
        let client = try await connect(port: server.port)
        let started = ContinuousClock.now  // the server's last activity is after this
        try await client.send(text: "activity")
        #expect(try await client.receive() == .text("activity"))
        #expect(try await client.receive() == nil)
        #expect(await client.closed() == CloseOutcome(code: .goingAway, reason: "idle timeout", wasClean: true))
        #expect(started.duration(to: .now) >= .seconds(2))
        #expect(started.duration(to: .now) < .seconds(7))
        await server.stop()
    }

    @Test("close timeout: a peer that never answers the Close is cut off")
    func closeTimeoutClient() async throws {
        let server = try await RawServer.start(.silent)
        let client = try await connect(port: server.port)
        let started = ContinuousClock.now
        let outcome = await client.close(code: .normalClosure, timeout: .milliseconds(200))
        #expect(outcome.code == .abnormalClosure && !outcome.wasClean)
        #expect(outcome.reason.hasPrefix("close timeout: no Close from the peer"), "a clear reason: \(outcome.reason)")
        #expect(started.duration(to: .now) < .seconds(5))
        await server.stop()
    }

    @Test("close timeout: a server that answers the Close but keeps the TCP connection is cut off by the client")
    func closeTimeoutAfterHandshake() async throws {
        let server = try await RawServer.start(.answersCloseKeepsConnection)
        var configuration = WebSocket.Configuration()
        // One deadline covers the server's Close and its TCP close: 1 s, so that the Close
        // arrives in time on a loaded machine (200 ms did not, once).
        configuration.closeTimeout = .seconds(1)
        let client = try await connect(port: server.port, configuration: configuration)
        let started = ContinuousClock.now
        let outcome = await client.close()
        #expect(outcome == CloseOutcome(code: .normalClosure, wasClean: true))
        #expect(started.duration(to: .now) >= .milliseconds(900), "the client gives the server a moment to close first")
        #expect(started.duration(to: .now) < .seconds(5))
        await server.stop()
    }

    @Test("close timeout: a server whose client never answers the Close closes the TCP connection")
    func closeTimeoutServer() async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(upgraded: { webSocket in
            await webSocket.close(code: .goingAway, reason: "bye", timeout: .milliseconds(200))
        }))
        let started = ContinuousClock.now
        let reply = try await rawExchange(port: server.port, upgradeRequest(port: server.port))
        #expect(started.duration(to: .now) < .seconds(5), "the server closed the connection")
        #expect(unmaskedFrames(reply.afterHead).map(\.opcode) == [.close])
        await server.stop()
    }
}

/// The frames in `bytes`, masked or not, in order.
func unmaskedFrames(_ bytes: [UInt8]) -> [(opcode: Opcode, payload: [UInt8])] {
    var frames: [(opcode: Opcode, payload: [UInt8])] = []
    var index = 0
    while index + 2 <= bytes.count {
        let opcode = Opcode(rawValue: bytes[index] & 0x0F) ?? .continuation
        let masked = bytes[index + 1] & 0x80 != 0
        var length = Int(bytes[index + 1] & 0x7F)
        var offset = index + 2
        if length == 126 {
            guard offset + 2 <= bytes.count else { break }
            length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            offset += 2
        } else if length == 127 {
            guard offset + 8 <= bytes.count else { break }
            length = bytes[offset..<(offset + 8)].reduce(0) { $0 << 8 | Int($1) }
            offset += 8
        }
        let key = masked ? Array(bytes[offset..<min(offset + 4, bytes.count)]) : []
        offset += key.count
        guard offset + length <= bytes.count else { break }
        let payload = bytes[offset..<(offset + length)].enumerated().map { masked ? $0.element ^ key[$0.offset % 4] : $0.element }
        frames.append((opcode, payload))
        index = offset + length
    }
    return frames
}

extension RawServer {
    /// The frames received so far, once the last is a Close or 5 s have passed: a Close is
    /// written before the connection closes, but the raw server may read it a little later on
    /// a loaded machine.
    func framesUntilClose() async throws -> [(opcode: Opcode, payload: [UInt8])] {
        let deadline = ContinuousClock.now + .seconds(5)
        var frames = unmaskedFrames(received)
        while frames.last?.opcode != .close, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            frames = unmaskedFrames(received)
        }
        return frames
    }
}
