import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing
import WSFraming
import WSHandshake
@testable import WSHTTP

/// The seam: a WebSocket on a channel whose upgrade someone else performed.
@Suite("WebSocket.adopt: a connection upgraded by someone else, both roles", .timeLimit(.minutes(1)))
struct AdoptTests {
    struct NotAnUpgrade: Error {}

    @Test("SwiftNIO's own upgrade handler with WebSocketServerProtocolUpgrader: echo, permessage-deflate, a clean close")
    func nioServerUpgrade() async throws {
        let upgrader = WebSocketServerProtocolUpgrader(subprotocols: ["chat"], logger: testLogger)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(upgradeConfiguration: .init(upgraders: [upgrader], notUpgradingCompletionHandler: { channel in
                            channel.close(promise: nil)
                            return channel.eventLoop.makeFailedFuture(NotAnUpgrade())
                        })))
                    upgraded.whenSuccess { webSocket in
                        Task { for await message in webSocket.messages { try? await webSocket.send(message) } }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress?.port ?? 0
        let client = try await connect(port: port, subprotocols: ["chat"])
        #expect(client.handshake.subprotocol == "chat")
        #expect(client.handshake.deflate != nil, "permessage-deflate negotiated by the upgrader")
        try await client.send(text: "through NIO's upgrader")
        #expect(try await client.receive() == .text("through NIO's upgrader"))
        #expect(await client.close() == CloseOutcome(code: .normalClosure, wasClean: true))
        try await server.close()
    }

    @Test("a server's graceful shutdown (NIO's quiesce event) closes an adopted WebSocket with 1001")
    func quiesceClosesWithGoingAway() async throws {
        let upgrader = WebSocketServerProtocolUpgrader(logger: testLogger)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(upgradeConfiguration: .init(upgraders: [upgrader], notUpgradingCompletionHandler: { channel in
                            channel.close(promise: nil)
                            return channel.eventLoop.makeFailedFuture(NotAnUpgrade())
                        })))
                    upgraded.whenSuccess { _ in channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let client = try await connect(port: server.localAddress?.port ?? 0)
        #expect(try await client.receive() == nil)
        #expect(await client.closed() == CloseOutcome(code: .goingAway, reason: "server shutting down", wasClean: true))
        try await server.close()
    }

    @Test("a client whose handshake was done by hand adopts its channel and talks to our server")
    func clientAdopts() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let reader = HeadReader()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(reader) } }
            .connect(host: "127.0.0.1", port: server.port).get()
        try await channel.writeAndFlush(ByteBuffer(bytes: upgradeRequest(port: server.port))).get()
        try await reader.done.futureResult.get()
        let webSocket = try await channel.eventLoop.submit {
            try WebSocket.adopt(channel, role: .client, handshake: .init(target: "/"), logger: testLogger)
        }.get()
        #expect(webSocket.handshake.remoteAddress?.port == server.port)
        try await webSocket.send(text: "adopted")
        #expect(try await webSocket.receive() == .text("adopted"))
        #expect(await webSocket.close() == CloseOutcome(code: .normalClosure, wasClean: true))
        await server.stop()
    }

    /// A consumer that takes nothing.
    final class Ignore: WebSocketEventLoopHandler {
        func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {}
    }

    @Test("adopting a channel that has already closed throws, and settles the connection it began (no leaked promise)",
          arguments: [false, true])
    func adoptClosedChannel(onEventLoop: Bool) async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(upgraded: { _ in }))
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: server.port).get()
        try await channel.close()
        try await channel.closeFuture.get() // its pipeline is gone: nothing can be added to it
        // Before the fix the WebSocket's unfulfilled end was freed here: NIO's debug check of
        // leaked promises stopped the process.
        await #expect(throws: (any Error).self) {
            try await channel.eventLoop.submit {
                _ = try WebSocket.adopt(channel, role: .client, consumer: onEventLoop ? .eventLoop { _ in Ignore() } : .async, logger: testLogger)
            }.get()
        }
        await server.stop()
    }

    /// Takes the 101's head, then passes on every byte after it.
    final class HeadReader: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: used only on its channel's event loop.
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        var head: [UInt8]? = []
        let done = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard var bytes = head else { return context.fireChannelRead(data) }
            bytes += unwrapInboundIn(data).readableBytesView
            guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { head = bytes; return }
            head = nil
            done.succeed()
            if end.upperBound < bytes.count {
                context.fireChannelRead(wrapInboundOut(ByteBuffer(bytes: bytes[end.upperBound...])))
            }
        }
    }
}
