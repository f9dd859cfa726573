import NIOCore
import NIOWebSocket

/// Echoes every data frame back as one frame, as swift-nio's `NIOWebSocketServer` example
/// handles frames: a handler straight after NIO's frame decoder and encoder, no aggregation.
///
/// Text, binary and continuation frames go back unmasked with the same opcode and FIN bit, so a
/// fragmented message comes back fragmented the same way. A ping gets a pong with its payload;
/// a close gets a close with the peer's code, then the channel closes. An unknown opcode gets a
/// close with 1002 (RFC 6455 §5.2). Writes are flushed once per read batch.
///
/// This is the baseline, so it is written the way NIO's example writes it, switching on
/// opcodes inside the handler; the project's own code keeps that logic in WSFraming.
final class WebSocketEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Set once this side has sent a close frame: the next close from the peer ends the channel.
    private var awaitingClose = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation:
            let echo = WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: frame.unmaskedData)
            context.write(Self.wrapOutboundOut(echo), promise: nil)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.write(Self.wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            self.receivedClose(context: context, frame: frame)
        default:
            self.close(context: context, code: .protocolError)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Answers the peer's close with its own status code (none if it sent none), then closes.
    private func receivedClose(context: ChannelHandlerContext, frame: WebSocketFrame) {
        if self.awaitingClose {
            context.close(promise: nil)
            return
        }
        var payload = frame.unmaskedData
        let code = payload.readSlice(length: 2) ?? ByteBuffer()
        let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: code)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(reply)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// Sends a close frame with `code` and waits for the peer's reply close.
    private func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        self.awaitingClose = true
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }
}

/// Bound to its channel's event loop.
@available(*, unavailable)
extension WebSocketEchoHandler: Sendable {}
