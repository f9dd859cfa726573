import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import WSHummingbird

let testLogger: Logger = {
    var logger = Logger(label: "WSHummingbirdTests")
    logger.logLevel = .warning
    return logger
}()

/// A running application on a free port of 127.0.0.1.
struct RunningApp {
    let port: Int
    let group: ServiceGroup
}

/// Runs `router` (HTTP and its WebSocket routes) as a Hummingbird application in a
/// ServiceGroup, calls `body` with it, then shuts it down gracefully and waits for the group.
func withApp<Context: RequestContext>(
    _ router: Router<Context>, configuration: WebSocketUpgradeConfiguration = .init(),
    _ body: (RunningApp) async throws -> Void
) async throws where Context.Source == ApplicationRequestContextSource {
    let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router, server: .webSocketUpgrade(router: router, configuration: configuration),
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) },
        logger: testLogger)
    let group = ServiceGroup(configuration: .init(services: [app], logger: testLogger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        do {
            try await body(RunningApp(port: port, group: group))
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

/// Sends `request` as is on a new TCP connection and returns every byte the server sent
/// until it closed.
func exchange(_ request: String, port: Int) async throws -> String {
    let collector = Collector()
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
        .connect(host: "127.0.0.1", port: port).get()
    try await channel.writeAndFlush(ByteBuffer(string: request)).get()
    try await channel.closeFuture.get()
    return try await channel.eventLoop.submit { collector.text }.get()
}

/// Collects what a channel reads.
final class Collector: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: used only on its channel's event loop.
    typealias InboundIn = ByteBuffer
    var text = ""
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        text += String(buffer: unwrapInboundIn(data))
    }
}

/// A valid upgrade request for `path`, with more header lines.
func upgradeRequest(_ path: String, port: Int, extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n"
}
