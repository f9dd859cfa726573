import HTTPTypes
import NIOCore
import Synchronization
import Testing
import WSFraming
import WSHandshake
@testable import WSHTTP

@Suite("A server-role and a client-role WebSocket over loopback", .timeLimit(.minutes(1)))
struct WebSocketLoopbackTests {
    @Test("text and binary messages go both ways")
    func echo() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let client = try await connect(port: server.port)
        try await client.send(text: "Hello, κόσμε")
        #expect(try await client.receive() == .text("Hello, κόσμε"))
        try await client.send(binary: [0, 1, 2, 255])
        #expect(try await client.receive() == .binary([0, 1, 2, 255]))
        let outcome = await client.close()
        #expect(outcome == CloseOutcome(code: .normalClosure, wasClean: true))
        await server.stop()
    }

    @Test("a large message in fragments arrives whole")
    func largeFragmented() async throws {
        var configuration = WebSocket.Configuration()
        configuration.maxFrameSize = 4 << 20
        configuration.maxMessageSize = 4 << 20
        configuration.fragmentation = .framesOfAtMost(16 << 10)
        let server = try await TestServer.start(configuration: configuration, handlers: echoHandlers)
        let client = try await connect(port: server.port, configuration: configuration)
        let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await client.send(binary: big)
        #expect(try await client.receive() == .binary(big))
        try await client.sendFragment(.text, Array("Hel".utf8), isFinal: false)
        try await client.sendFragment(.text, Array("lo".utf8), isFinal: true)
        #expect(try await client.receive() == .text("Hello"))
        await client.close()
        await server.stop()
    }

    @Test("ping returns when the pong arrives")
    func ping() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let client = try await connect(port: server.port)
        let rtt = try await client.ping()
        #expect(rtt > .zero && rtt < .seconds(5))
        await client.close()
        await server.stop()
    }

    @Test("close with a code: both sides see it, clean")
    func closeWithCode() async throws {
        let serverOutcome = OutcomeBox()
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(upgraded: { webSocket in
            for await _ in webSocket.messages {}
            serverOutcome.set(webSocket.outcome)
        }))
        let client = try await connect(port: server.port)
        #expect(client.state == .open)
        let outcome = await client.close(code: CloseCode(4000), reason: "bye")
        #expect(client.state == .closed)
        #expect(outcome.code == CloseCode(4000))
        #expect(outcome.wasClean)
        #expect(!client.isOpen)
        #expect(try await eventually { serverOutcome.value == CloseOutcome(code: CloseCode(4000), reason: "bye", wasClean: true) })
        await server.stop()
    }

    @Test("the server closes: the client sees its code and reason")
    func serverCloses() async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(upgraded: { webSocket in
            await webSocket.close(code: .goingAway, reason: "shutting down")
        }))
        let client = try await connect(port: server.port)
        #expect(try await client.receive() == nil)
        #expect(await client.closed() == CloseOutcome(code: .goingAway, reason: "shutting down", wasClean: true))
        await server.stop()
    }

    @Test("an abrupt TCP close reports 1006, and nothing hangs")
    func abrupt() async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(upgraded: { webSocket in
            try? await webSocket.channel.close()
        }))
        let client = try await connect(port: server.port)
        #expect(try await client.receive() == nil)
        #expect(await client.closed() == CloseOutcome(code: .abnormalClosure, wasClean: false))
        await #expect(throws: WebSocketError.self) { try await client.send(text: "late") }
        await server.stop()
    }

    @Test("a refused upgrade reaches the client with its status, headers and body")
    func refused() async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(
            shouldUpgrade: { request in
                request.request.headerFields[.authorization] == "Bearer good" ? .accept()
                    : .refuse(HTTPResponse(status: .unauthorized, headerFields: [.wwwAuthenticate: "Bearer"]), body: Array("who are you?".utf8))
            },
            upgraded: { _ in }))
        let error = await #expect(throws: WebSocketError.self) { try await connect(port: server.port) }
        #expect(error?.code == .upgradeRefused)
        #expect(error?.response?.status == .unauthorized)
        #expect(error?.response?.headerFields[.wwwAuthenticate] == "Bearer")
        #expect(error?.body == Array("who are you?".utf8))
        let client = try await connect(port: server.port, headerFields: [.authorization: "Bearer good"])
        await client.close()
        await server.stop()
    }

    @Test("the server chooses a subprotocol the client offered")
    func subprotocol() async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(
            shouldUpgrade: { request in .accept(subprotocol: request.subprotocol(choosingFrom: ["chat.v2", "chat.v1"])) },
            upgraded: { _ in }))
        let client = try await connect(port: server.port, subprotocols: ["chat.v1", "chat.v2"])
        #expect(client.handshake.subprotocol == "chat.v2")
        await client.close()
        await server.stop()
    }

    @Test("event-loop callbacks echo without a task per message")
    func fastPath() async throws {
        final class Echo: WebSocketEventLoopHandler {
            func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) { webSocket.send(message) }
        }
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(consumer: .eventLoop({ _ in Echo() }), upgraded: { _ in }))
        let client = try await connect(port: server.port)
        for i in 0..<100 { try await client.send(text: "message \(i)") }
        for i in 0..<100 { #expect(try await client.receive() == .text("message \(i)")) }
        // Messages that cannot be lent from the read buffer: in fragments, and larger than 64 KiB.
        try await client.sendFragment(.text, Array("in ".utf8), isFinal: false)
        try await client.sendFragment(.text, Array("parts".utf8), isFinal: true)
        #expect(try await client.receive() == .text("in parts"))
        let large = (0..<(200 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try await client.send(binary: large)
        #expect(try await client.receive() == .binary(large))
        await client.close()
        await server.stop()
    }

    @Test("a ping to an event-loop consumer is answered")
    func fastPathPing() async throws {
        final class Echo: WebSocketEventLoopHandler {
            func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) { webSocket.send(message) }
        }
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(consumer: .eventLoop({ _ in Echo() }), upgraded: { _ in }))
        let client = try await connect(port: server.port)
        _ = try await client.ping(timeout: .seconds(2))
        await client.close()
        await server.stop()
    }

    @Test("event-loop sends keep their order across small and large frames, replies and the close")
    func fastPathOrder() async throws {
        final class Burst: WebSocketEventLoopHandler {
            func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
                guard message.text == "go" else {
                    webSocket.send(message)
                    return
                }
                // Small frames gather in the scratch, large ones go straight to the buffer.
                webSocket.send(.text("s1"))
                webSocket.send(.binary([UInt8](repeating: 1, count: 10_000)))
                webSocket.send(.text("s2"))
                webSocket.send(.binary([UInt8](repeating: 2, count: 5_000)))
                webSocket.send(.text("s3"))
                webSocket.close(code: CloseCode(4001), reason: "done")
            }
        }
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(consumer: .eventLoop({ _ in Burst() }), upgraded: { _ in }))
        let client = try await connect(port: server.port)
        // Echoes and the Pong of a ping sent among them, then the burst.
        for i in 0..<10 { try await client.send(text: "m\(i)") }
        _ = try await client.ping()
        try await client.send(text: "go")
        var received: [WebSocketMessage] = []
        while let message = try await client.receive() { received.append(message) }
        let expected: [WebSocketMessage] = (0..<10).map { .text("m\($0)") } + [
            .text("s1"), .binary([UInt8](repeating: 1, count: 10_000)), .text("s2"),
            .binary([UInt8](repeating: 2, count: 5_000)), .text("s3")]
        #expect(received == expected)
        #expect(await client.closed() == CloseOutcome(code: CloseCode(4001), reason: "done", wasClean: true))
        await server.stop()
    }

    @Test("a server's handler runs on its connection's event loop, unless told not to", arguments: [true, false])
    func handlerPlacement(_ onLoop: Bool) async throws {
        let placements = Mutex<[Bool]>([])
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(runsOnEventLoop: onLoop, upgraded: { webSocket in
            placements.withLock { $0.append(webSocket.channel.eventLoop.inEventLoop) }
            for await message in webSocket.messages {
                placements.withLock { $0.append(webSocket.channel.eventLoop.inEventLoop) }
                try? await webSocket.send(message)
            }
        }))
        let client = try await connect(port: server.port)
        try await client.send(text: "where?")
        #expect(try await client.receive() == .text("where?"))
        #expect(placements.withLock { $0 } == [onLoop, onLoop])
        await client.close()
        await server.stop()
    }

    @Test("a receive waiting in a cancelled task throws cancelled (not the end a close gives); the connection stays usable")
    func cancelledReceive() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let client = try await connect(port: server.port)
        let waiting = Task { () throws(WebSocketError) -> WebSocketMessage? in try await client.receive() }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        guard case .failure(let error) = await waiting.result else { Issue.record("the receive returned"); return }
        #expect((error as? WebSocketError)?.code == .cancelled)
        #expect(client.outcome == nil)
        try await client.send(text: "after")
        #expect(try await client.receive() == .text("after"))
        await client.close()
        #expect(try await client.receive() == nil, "after the close: the end, not an error")
        await server.stop()
    }

    @Test("a second task receiving at once gets a clear error, not a crash; the first still gets its message")
    func concurrentReceive() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let client = try await connect(port: server.port)
        let first = Task { try await client.receive() }
        try await Task.sleep(for: .milliseconds(50))
        let error = await #expect(throws: WebSocketError.self) { try await client.receive() }
        #expect(error?.code == .invalidUse)
        #expect(error?.message.contains("one task at a time") == true)
        try await client.send(text: "to the first")
        #expect(try await first.value == .text("to the first"))
        await client.close()
        await server.stop()
    }

    @Test("receive() on a connection whose messages go to event-loop callbacks says so")
    func receiveOnEventLoopConsumer() async throws {
        final class Ignore: WebSocketEventLoopHandler {
            func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {}
        }
        let server = try await TestServer.start(handlers: echoHandlers)
        let client = try await connect(port: server.port, consumer: .eventLoop { _ in Ignore() })
        let error = await #expect(throws: WebSocketError.self) { try await client.receive() }
        #expect(error?.code == .invalidUse && error?.message.contains("event-loop handler") == true)
        await client.close()
        await server.stop()
    }

    @Test("messages that arrived before the close are still received, then nil")
    func drainAfterClose() async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(upgraded: { webSocket in
            for i in 0..<5 { try? await webSocket.send(text: "m\(i)") }
            await webSocket.close(code: .goingAway)
        }))
        let client = try await connect(port: server.port)
        #expect(await client.closed().code == .goingAway)
        var received: [WebSocketMessage] = []
        while let message = try await client.receive() { received.append(message) }
        #expect(received == (0..<5).map { .text("m\($0)") })
        await server.stop()
    }

    @Test("a message over the limit fails the connection with 1009")
    func tooBig() async throws {
        var small = WebSocket.Configuration()
        small.maxFrameSize = 1024
        small.maxMessageSize = 1024
        let server = try await TestServer.start(configuration: small, handlers: echoHandlers)
        let client = try await connect(port: server.port)
        try await client.send(binary: Array(repeating: 7, count: 2048))
        #expect(try await client.receive() == nil)
        #expect(await client.closed().code == .messageTooBig)
        await server.stop()
    }
}

/// A value set by one task and read by another.
final class OutcomeBox: Sendable {
    private let stored = Mutex<CloseOutcome?>(nil)
    func set(_ value: CloseOutcome?) { stored.withLock { $0 = value } }
    var value: CloseOutcome? { stored.withLock { $0 } }
}

/// Nothing of a closed connection outlives its last user.
@Suite("Lifetimes", .timeLimit(.minutes(1)))
struct LifetimeTests {
    final class WeakHandler: @unchecked Sendable {
        weak var handler: WebSocketHandler?
    }

    @Test("a closed connection's handler and queue are freed once the WebSocket is released", arguments: [true, false])
    func freed(_ async: Bool) async throws {
        final class Echo: WebSocketEventLoopHandler {
            func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) { webSocket.send(message) }
        }
        let server = try await TestServer.start(handlers: echoHandlers)
        let weak = WeakHandler()
        do {
            let client = try await connect(port: server.port, consumer: async ? .async : .eventLoop({ _ in Echo() }))
            try await client.channel.eventLoop.submit { weak.handler = client.handler.value }.get()
            try await client.send(text: "hi")
            if async { #expect(try await client.receive() == .text("hi")) }
            await client.close()
        }
        #expect(try await eventually { weak.handler == nil }, "the handler leaked")
        await server.stop()
    }
}
