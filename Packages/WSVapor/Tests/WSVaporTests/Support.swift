import Logging
import NIOCore
import NIOPosix
import Vapor
import WSVapor

/// A Vapor application on a free port of 127.0.0.1: `routes` declares its routes, `body` runs
/// with it, then the server shuts down gracefully and the application ends.
func withApp(_ routes: (Application) throws -> Void, _ body: (Application, Int) async throws -> Void) async throws {
    let app = try await Application.make(.testing)
    app.logger.logLevel = .warning
    try routes(app)
    try await app.server.start(address: .hostname("127.0.0.1", port: 0))
    let port = app.http.server.shared.localAddress?.port ?? 0
    do {
        try await body(app, port)
    } catch {
        await app.server.shutdown()
        try await app.asyncShutdown()
        throw error
    }
    await app.server.shutdown()
    try await app.asyncShutdown()
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

/// A valid upgrade request for `path`, with more header lines; its `Connection: Upgrade,
/// close` asks Vapor to close after a refusal (else it keeps the connection for more requests),
/// so that a refusal ends the exchange.
func upgradeRequest(_ path: String, extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n"
}
