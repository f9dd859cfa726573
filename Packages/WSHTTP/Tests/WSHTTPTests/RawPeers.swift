import Foundation
import NIOCore
import NIOPosix
import Synchronization
import WSHandshake

/// A server that completes the opening handshake by hand and then misbehaves as told: the
/// peer that the timeouts and backpressure are for.
final class RawServer: Sendable {
    enum Behaviour: Sendable {
        /// Reads everything and never answers: a peer that has gone quiet.
        case silent
        /// Answers a Close with a Close but never closes the TCP connection.
        case answersCloseKeepsConnection
        /// Stops reading after the 101 until ``RawServer/resumeReading()``.
        case stopsReading
        /// Writes these bytes in the same write as the 101.
        case sendsWithResponse([UInt8])
        /// Answers with this `Sec-WebSocket-Extensions` in its 101, then reads silently.
        case answersExtensions(String)
    }

    let channel: any Channel
    private let state = Mutex<(bytes: [UInt8], children: [any Channel], request: String)>(([], [], ""))
    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// What the server read after the request, from every connection.
    var received: [UInt8] { state.withLock { $0.bytes } }
    /// The last request's head.
    var request: String { state.withLock { $0.request } }

    static func start(_ behaviour: Behaviour) async throws -> RawServer {
        let box = Box()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(RawServerHandler(behaviour: behaviour, server: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = RawServer(channel: channel)
        box.server.withLock { $0 = server }
        return server
    }

    fileprivate func record(_ bytes: [UInt8]) { state.withLock { $0.bytes += bytes } }
    fileprivate func record(request: String) { state.withLock { $0.request = request } }
    fileprivate func adopt(_ child: any Channel) { state.withLock { $0.children.append(child) } }

    /// Lets a ``Behaviour/stopsReading`` server read again.
    func resumeReading() {
        for child in state.withLock({ $0.children }) {
            child.eventLoop.execute {
                try? child.syncOptions?.setOption(.autoRead, value: true)
                child.read()
            }
        }
    }

    func stop() async {
        for child in state.withLock({ $0.children }) { try? await child.close() }
        try? await channel.close()
    }

    fileprivate final class Box: Sendable {
        let server = Mutex<RawServer?>(nil)
    }
}

private final class RawServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let behaviour: RawServer.Behaviour
    let server: RawServer.Box
    var head: [UInt8] = []
    var upgraded = false

    init(behaviour: RawServer.Behaviour, server: RawServer.Box) {
        self.behaviour = behaviour
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        server.server.withLock { $0 }?.adopt(context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        guard upgraded else {
            head += bytes
            guard let end = head.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            upgraded = true
            let request = String(decoding: head[..<end.lowerBound], as: UTF8.self)
            let key = request.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-key:") }
                .map { $0.dropFirst("sec-websocket-key:".count).trimmingCharacters(in: .whitespaces) } ?? ""
            server.server.withLock { $0 }?.record(request: request)
            var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(WebSocketKey.accept(for: key))\r\n"
            if case .answersExtensions(let extensions) = behaviour { response += "Sec-WebSocket-Extensions: \(extensions)\r\n" }
            response += "\r\n"
            var extra: [UInt8] = []
            if case .sendsWithResponse(let bytes) = behaviour { extra = bytes }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: Array(response.utf8) + extra)), promise: nil)
            if case .stopsReading = behaviour { try? context.channel.syncOptions?.setOption(.autoRead, value: false) }
            server.server.withLock { $0 }?.record(Array(head[end.upperBound...]))
            return
        }
        server.server.withLock { $0 }?.record(bytes)
        if case .answersCloseKeepsConnection = behaviour, bytes.first == 0x88 {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: [0x88, 0x02, 0x03, 0xE8])), promise: nil)
        }
    }
}
