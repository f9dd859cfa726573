import NIOCore
import NIOPosix
import Testing
import WSFraming
import WSHandshake
@testable import WSHTTP

/// A server that closes a connection the moment it accepts it (a listener whose TLS cannot
/// start, say) can close the client's channel between the TCP connect and the pipeline's
/// set-up: the channel is already inactive, but its handlers are not yet torn down. The
/// upgrade handler added in that window sees neither channelActive nor channelInactive; it
/// must still answer, or the connect waits forever (CI caught one such wait).
@Suite("The client pipeline on a channel that closed a moment before", .timeLimit(.minutes(1)))
struct ClientPipelineClosedTests {
    /// Sets the client pipeline up from inside channelInactive: the exact window, every time.
    final class SetUpOnInactive: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: used only on its channel's event loop.
        typealias InboundIn = ByteBuffer
        let result: EventLoopPromise<WebSocket>
        let port: Int
        init(result: EventLoopPromise<WebSocket>, port: Int) {
            self.result = result
            self.port = port
        }
        func channelInactive(context: ChannelHandlerContext) {
            let handshake = WebSocketClientHandshake(target: "/", host: "127.0.0.1", port: port)
            context.channel.configureWebSocketClientPipeline(handshake: handshake, logger: testLogger).cascade(to: result)
            context.fireChannelInactive()
        }
    }

    @Test("set up after the close but before the teardown: fails with handshakeFailed, at once")
    func setUpInTheWindow() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let result = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: WebSocket.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SetUpOnInactive(result: result, port: server.port))
                }
            }
            .connect(host: "127.0.0.1", port: server.port).get()
        try await channel.close()
        let error = await #expect(throws: WebSocketError.self) { _ = try await result.futureResult.get() }
        #expect(error?.code == .handshakeFailed)
        await server.stop()
    }
}
