// SwiftNIO's own HTTP/1.1 server pipeline and upgrade handler (`configureUpgradableHTTPServerPipeline`)
// upgrade the connection; this library's WebSocket takes the upgraded channel over
// (`WebSocketServerProtocolUpgrader`, on `WebSocket.adopt`). Requests that are not upgrades get
// a page from your own NIO handler; upgrades are echoed.
//
//     swift run --package-path Examples NIOUpgrader [port]        (default 8080; 0 picks a free port)
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import WSHTTP

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8080
let logger = Logger(label: "nio-upgrader")

/// What the pipeline made of a connection: a WebSocket, or a plain HTTP exchange.
enum Upgraded: Sendable {
    case webSocket(WebSocket)
    case http
}

/// Answers every plain request with a short page: your own NIO HTTP handler.
final class PageHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let body = ByteBuffer(string: "plain HTTP from your own NIO handler; WebSockets on any path\n")
        let head = HTTPResponseHead(version: .http1_1, status: .ok,
                                    headers: ["Content-Length": "\(body.readableBytes)", "Content-Type": "text/plain"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

let upgrader = WebSocketServerProtocolUpgrader(logger: logger, result: Upgraded.webSocket)
let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                configuration: .init(upgradeConfiguration: .init(upgraders: [upgrader], notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(PageHandler())
                        return Upgraded.http
                    }
                })))
            result.whenSuccess { upgraded in
                guard case .webSocket(let webSocket) = upgraded else { return }
                Task {
                    for await message in webSocket.messages {
                        guard await webSocket.sendGuarded(message) else { break }
                    }
                }
            }
        }
    }
    .bind(host: "127.0.0.1", port: port).get()

FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(server.localAddress?.port ?? port)/ (NIO's upgrader, this library's WebSocket)\n".utf8))
try await server.closeFuture.get()
