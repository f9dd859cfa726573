import NIOCore
import NIOHTTP1

/// Answers a plain HTTP request (one that did not ask for a WebSocket upgrade) with
/// 426 Upgrade Required and closes, where swift-nio's example serves a test page.
///
/// It sits after NIO's HTTP server handlers until an upgrade succeeds, which removes it by
/// its ``name``.
final class HTTPFallbackHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The name it is added under, so that the upgrade can remove it.
    static let name = "HTTPFallbackHandler"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = Self.unwrapInboundIn(data) else { return }
        let body = ByteBuffer(string: "This is a WebSocket echo server: send an upgrade request.\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Sec-WebSocket-Version", value: "13")
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: .upgradeRequired, headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

/// Bound to its channel's event loop.
@available(*, unavailable)
extension HTTPFallbackHandler: Sendable {}
