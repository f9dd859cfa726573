import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import Synchronization
import WSFraming
import WSHandshake
@testable import WSHTTP
import WSTLS

let testLogger = Logger(label: "WSHTTPTests")

/// A server on 127.0.0.1 with a free port, for one test.
struct TestServer {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    /// - Parameter receiveBufferSize: the accepted sockets' SO_RCVBUF, for tests of what the
    ///   server stops reading (Linux may grow a loopback socket's own to 32 MiB).
    static func start(tls: TLSServerContext? = nil, configuration: WebSocket.Configuration = .default, receiveBufferSize: Int? = nil,
                      handlers: WebSocketServerHandlers) async throws -> TestServer {
        try await start(anyTLS: tls.map { .openSSL($0) }, configuration: configuration, receiveBufferSize: receiveBufferSize,
                        handlers: handlers)
    }

    /// A server whose TLS is any handler.
    static func start(anyTLS tls: WebSocketTLS?, configuration: WebSocket.Configuration = .default, receiveBufferSize: Int? = nil,
                      handlers: WebSocketServerHandlers) async throws -> TestServer {
        var bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let receiveBufferSize { bootstrap = bootstrap.serverChannelOption(.socketOption(.so_rcvbuf), value: .init(receiveBufferSize)) }
        let channel = try await bootstrap
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.configureWebSocketServerPipeline(tls: tls, configuration: configuration, logger: testLogger, handlers: handlers)
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestServer(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }
}

/// Connects a client to 127.0.0.1:`port` (over TLS with `tls`, checking the certificate
/// against `host`).
func connect(
    port: Int, target: String = "/", subprotocols: [String] = [], headerFields: HTTPFields = [:],
    tls: TLSClientContext? = nil, host: String = "127.0.0.1",
    configuration: WebSocket.Configuration = .default, consumer: WebSocket.Consumer = .async
) async throws -> WebSocket {
    try await connect(port: port, target: target, subprotocols: subprotocols, headerFields: headerFields, anyTLS: tls.map { .openSSL($0) },
                      host: host, configuration: configuration, consumer: consumer)
}

/// Connects a client whose TLS is any handler.
func connect(
    port: Int, target: String = "/", subprotocols: [String] = [], headerFields: HTTPFields = [:],
    anyTLS tls: WebSocketTLS?, host: String = "127.0.0.1",
    configuration: WebSocket.Configuration = .default, consumer: WebSocket.Consumer = .async
) async throws -> WebSocket {
    let handshake = WebSocketClientHandshake(target: target, host: host, port: port, secure: tls != nil, subprotocols: subprotocols,
                                             headerFields: headerFields)
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
    return try await channel.configureWebSocketClientPipeline(handshake: handshake, tls: tls, configuration: configuration,
                                                              consumer: consumer, logger: testLogger).get()
}

/// An echo: every message back, on an async consumer.
let echoHandlers = WebSocketServerHandlers(upgraded: { webSocket in
    for await message in webSocket.messages {
        try? await webSocket.send(message)
    }
})

/// Sends `bytes` over a raw TCP connection and collects what comes back until the peer
/// closes, `enough` says the bytes so far are all the test needs, or `timeout` passes. Tests
/// that wait for an answer on a connection that stays open say what they wait for in `enough`
/// rather than guessing a window that a loaded machine can miss.
func rawExchange(port: Int, _ bytes: [UInt8], timeout: Duration = .seconds(10), closeAfter: Bool = false,
                 until enough: ([UInt8]) -> Bool = { _ in false }) async throws -> [UInt8] {
    let collector = ByteCollector()
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
        .connect(host: "127.0.0.1", port: port).get()
    // A peer may close before the write (a handshake timeout that passed): what it sent is the answer.
    try? await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    if closeAfter { try? await channel.close() }
    let deadline = ContinuousClock.now + timeout
    while channel.isActive, ContinuousClock.now < deadline, !enough(collector.bytes) {
        try await Task.sleep(for: .milliseconds(10))
    }
    try? await channel.close()
    return collector.bytes
}

/// Collects every byte a channel reads; readable while the channel is open.
final class ByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let stored = Mutex<[UInt8]>([])
    /// What has been read so far.
    var bytes: [UInt8] { stored.withLock { $0 } }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        stored.withLock { $0 += buffer.readableBytesView }
    }
}

/// Waits until `condition` holds, or `timeout` passes; returns whether it held. For what
/// happens a moment after an await returns (the peer's side of a close, a handler's release).
func eventually(_ timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}

/// An upgrade request's bytes.
func upgradeRequest(path: String = "/", port: Int, extra: String = "") -> [UInt8] {
    Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n".utf8)
}

/// A client's masked frame.
func maskedFrame(_ opcode: Opcode, _ payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    FrameWriter.write(FrameHeader(opcode: opcode, maskingKey: MaskingKey(1, 2, 3, 4), payloadLength: payload.count), payload: payload, into: &out)
    return out
}

extension [UInt8] {
    /// The bytes after the first `\r\n\r\n`.
    var afterHead: [UInt8] {
        guard let end = (0..<Swift.max(0, count - 3)).first(where: { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 }) else { return [] }
        return Array(self[(end + 4)...])
    }
    var text: String { String(decoding: self, as: UTF8.self) }
}
