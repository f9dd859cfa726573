import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import WSHTTP
import WSServer

let testLogger = Logger(label: "WSServerTests")

/// Every message back, on an async consumer.
let echo = WebSocketServerHandlers(
    http: { request, _ in (HTTPResponse(status: .ok), Array("http \(request.path ?? "")\n".utf8)) },
    upgraded: { webSocket in
        for await message in webSocket.messages { try? await webSocket.send(message) }
    })

/// Starts a server on a free port of `host`.
func startServer(host: String = "127.0.0.1", configuration: WebSocketServer.Configuration = .default, tls: TLSServerContext? = nil,
                 handlers: WebSocketServerHandlers = echo) async throws -> WebSocketServer {
    let server = WebSocketServer(host: host, port: 0, configuration: configuration, tls: tls, logger: testLogger, handlers: handlers)
    try await server.start()
    return server
}

extension WebSocketServer {
    var boundPort: Int { localAddress?.port ?? 0 }
}

/// A client connected to `server`.
func connect(_ server: WebSocketServer, host: String = "127.0.0.1", origin: String? = nil, subprotocols: [String] = [],
             tls: TLSClientContext? = nil) async throws -> WebSocket {
    let handshake = WebSocketClientHandshake(target: "/", host: host, port: server.boundPort, secure: tls != nil, origin: origin,
                                             subprotocols: subprotocols)
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: server.boundPort).get()
    return try await channel.configureWebSocketClientPipeline(handshake: handshake, tls: tls.map { WebSocketTLS.openSSL($0) }, logger: testLogger).get()
}

/// Sends `bytes` on a raw TCP connection and collects the answer until the peer closes or
/// `timeout` passes; also says whether the peer closed.
func rawExchange(port: Int, _ bytes: [UInt8], timeout: Duration = .seconds(5)) async throws -> (bytes: [UInt8], closedByPeer: Bool) {
    let collector = Collector()
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
        .connect(host: "127.0.0.1", port: port).get()
    if !bytes.isEmpty { try? await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get() }
    let deadline = ContinuousClock.now + timeout
    while channel.isActive, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    let closedByPeer = !channel.isActive
    try? await channel.close()
    return (collector.bytes, closedByPeer)
}

/// A plain HTTP GET.
func httpGet(port: Int, path: String = "/") async throws -> String {
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"
    return String(decoding: try await rawExchange(port: port, Array(request.utf8)).bytes, as: UTF8.self)
}

/// Collects what a channel reads.
final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let stored = Mutex<[UInt8]>([])
    var bytes: [UInt8] { stored.withLock { $0 } }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        stored.withLock { $0 += buffer.readableBytesView }
    }
}

/// Waits until `condition` holds, or `timeout` passes; returns whether it held.
func eventually(_ timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}
