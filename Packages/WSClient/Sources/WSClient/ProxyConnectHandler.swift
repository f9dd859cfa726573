import NIOCore
@_spi(WSInternal) import WSHandshake

/// Asks the proxy for a tunnel on a connected channel, then takes itself out of the pipeline.
final class ProxyConnectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: [UInt8]
    private let promise: EventLoopPromise<Void>
    private var response = ProxyConnectResponse()
    /// The promise is answered: the tunnel is open, or it failed.
    private var finished = false

    init(target: WebSocketURL, proxy: HTTPProxy, promise: EventLoopPromise<Void>) {
        let authority = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
        var text = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
        if let credentials = proxy.credentials {
            text += "Proxy-Authorization: Basic \(Base64.encode(Array(credentials.utf8)))\r\n"
        }
        request = Array((text + "\r\n").utf8)
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch response.read(buffer.readableBytesView) {
        case .incomplete:
            return
        case .established:
            finished = true
            promise.succeed()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .refused(let statusLine):
            fail("the proxy refused the tunnel: \(statusLine)", context: context)
        case .malformed(let why):
            fail(why, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(WebSocketClientError(.proxyFailed, "the proxy closed the connection before opening the tunnel"))
        context.fireChannelInactive()
    }

    /// Removed before the tunnel opened: the channel closed around the moment this handler
    /// was added (its channelInactive had already gone by), so nothing else would answer.
    func handlerRemoved(context: ChannelHandlerContext) {
        finish(WebSocketClientError(.proxyFailed, "the connection to the proxy closed before the tunnel opened"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("\(error)", context: context)
    }

    private func fail(_ message: String, context: ChannelHandlerContext) {
        finish(WebSocketClientError(.proxyFailed, message))
        context.close(promise: nil)
    }

    private func finish(_ error: WebSocketClientError) {
        guard !finished else { return }
        finished = true
        promise.fail(error)
    }
}
