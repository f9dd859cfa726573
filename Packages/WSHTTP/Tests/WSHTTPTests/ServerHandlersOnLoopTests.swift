import HTTPTypes
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import WSHTTP

/// Echoes on the event loop.
private final class OnLoopEcho: WebSocketEventLoopHandler {
    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) { webSocket.send(message) }
}

@Suite("The server's handlers on the event loop: a decision and a start that need no task", .timeLimit(.minutes(1)))
struct ServerHandlersOnLoopTests {
    @Test("shouldUpgradeOnLoop runs on the connection's event loop and its decision settles the upgrade: shouldUpgrade is not asked")
    func loopDecisionSettles() async throws {
        let onLoop = Atomic<Int>(0), offLoop = Atomic<Int>(0), asked = Atomic<Int>(0)
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(
            shouldUpgradeOnLoop: { upgrade in
                if MultiThreadedEventLoopGroup.currentEventLoop != nil {
                    onLoop.add(1, ordering: .relaxed)
                } else {
                    offLoop.add(1, ordering: .relaxed)
                }
                return upgrade.target == "/yes"
                    ? .accept(subprotocol: upgrade.subprotocol(choosingFrom: ["chat"]), headerFields: [.init("X-Gate")!: "loop"])
                    : .refuse(HTTPResponse(status: .forbidden), body: Array("not here\n".utf8))
            },
            shouldUpgrade: { _ in
                asked.add(1, ordering: .relaxed)
                return .refuse(HTTPResponse(status: .unauthorized))
            },
            consumer: .eventLoop { _ in OnLoopEcho() }))
        let client = try await connect(port: server.port, target: "/yes", subprotocols: ["chat"])
        #expect(client.handshake.subprotocol == "chat")
        #expect(client.handshake.responseFields[.init("X-Gate")!] == "loop")
        try await client.send(text: "accepted on the loop")
        #expect(try await client.receive() == .text("accepted on the loop"))
        let error = await #expect(throws: WebSocketError.self) { _ = try await connect(port: server.port, target: "/no") }
        #expect(error?.response?.status == .forbidden)
        #expect(onLoop.load(ordering: .relaxed) == 2)
        #expect(offLoop.load(ordering: .relaxed) == 0)
        #expect(asked.load(ordering: .relaxed) == 0, "a decision on the loop is final")
        await client.close()
        await server.stop()
    }

    @Test("nil from shouldUpgradeOnLoop leaves the request to shouldUpgrade; with neither, every valid upgrade is accepted")
    func nilPassesOn() async throws {
        let passed = Atomic<Int>(0)
        let gated = try await TestServer.start(handlers: WebSocketServerHandlers(
            shouldUpgradeOnLoop: { _ in
                passed.add(1, ordering: .relaxed)
                return nil
            },
            shouldUpgrade: { upgrade in
                upgrade.target == "/token" ? .accept() : .refuse(HTTPResponse(status: .unauthorized))
            },
            consumer: .eventLoop { _ in OnLoopEcho() }))
        let refused = await #expect(throws: WebSocketError.self) { _ = try await connect(port: gated.port, target: "/") }
        #expect(refused?.response?.status == .unauthorized)
        let allowed = try await connect(port: gated.port, target: "/token")
        try await allowed.send(text: "let through twice")
        #expect(try await allowed.receive() == .text("let through twice"))
        #expect(passed.load(ordering: .relaxed) == 2)
        await allowed.close()
        await gated.stop()

        let open = try await TestServer.start(handlers: WebSocketServerHandlers(consumer: .eventLoop { _ in OnLoopEcho() }))
        let client = try await connect(port: open.port, target: "/anything")
        try await client.send(text: "no decision at all")
        #expect(try await client.receive() == .text("no decision at all"))
        await client.close()
        await open.stop()
    }

    @Test("upgradedOnLoop runs on the event loop once the connection is live, before upgraded's task")
    func upgradedOnLoopFirst() async throws {
        let steps = Mutex<[String]>([])
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(
            consumer: .eventLoop { _ in OnLoopEcho() },
            upgraded: { _ in steps.withLock { $0.append("task") } },
            upgradedOnLoop: { webSocket in
                let onLoop = MultiThreadedEventLoopGroup.currentEventLoop != nil
                steps.withLock { $0.append(onLoop ? "loop \(webSocket.handshake.target)" : "off the loop") }
            }))
        let client = try await connect(port: server.port, target: "/room")
        #expect(try await eventually { steps.withLock { $0.count } == 2 })
        #expect(steps.withLock { $0 } == ["loop /room", "task"])
        try await client.send(text: "live")
        #expect(try await client.receive() == .text("live"))
        await client.close()
        await server.stop()
    }

    @Test("an async consumer with no upgraded task is closed with 1000 at once: nothing would read it")
    func asyncConsumerWithoutTask() async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(consumer: .async))
        let client = try await connect(port: server.port)
        let outcome = await client.closed()
        #expect(outcome.code == .normalClosure)
        #expect(outcome.wasClean)
        await server.stop()
    }
}
