import CHiredis
import NIOCore
import WSTLS

/// Commands on their way to Redis, with what to do with each one's reply.
struct RedisOutbound {
    var bytes: ByteBuffer
    var replies: [RedisHandler.Expected]
}

/// The channel handler of one connection to Redis: writes commands, feeds what it reads to
/// hiredis's reader, and hands each reply to whoever waits for it, in order, or (on a
/// subscriber connection) to the push handler. Used on its channel's event loop only.
final class RedisHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisOutbound
    typealias OutboundOut = ByteBuffer

    /// What a command's reply is for.
    enum Expected {
        /// Someone waits for it.
        case reply(EventLoopPromise<RESPValue>)
        /// A publish's: only an error is of interest.
        case ignored
    }

    /// Where replies go.
    enum Mode {
        /// To the commands, in order.
        case requests
        /// All to the push handler: the connection has subscribed (RESP2's subscriber mode).
        case subscriber
    }

    private let reader: RESPReader
    private var expected = CircularBuffer<Expected>()
    var mode = Mode.requests
    /// A subscriber connection's replies: messages, confirmations, errors. Lent for the call.
    var onPush: ((UnsafePointer<redisReply>) -> Void)?
    /// The error reply to a command whose reply nobody waits for (a publish).
    var onIgnoredError: ((String) -> Void)?
    /// The channel's writability changed.
    var onWritabilityChanged: ((Bool) -> Void)?
    /// The connection ended, with what ended it.
    var onClose: ((RedisError) -> Void)?
    /// Why the connection ended, once it has: read on the event loop only.
    private(set) var closeReason: RedisError?

    init(maxReplyBytes: Int) throws(RedisError) {
        reader = try RESPReader(maxBufferedBytes: maxReplyBytes)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let outbound = unwrapOutboundIn(data)
        for reply in outbound.replies { expected.append(reply) }
        context.write(wrapOutboundOut(outbound.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do throws(RedisError) {
            try buffer.withUnsafeReadableBytes { (bytes) throws(RedisError) in try reader.feed(bytes) }
            while try reader.next({ (reply) throws(RedisError) in try dispatch(reply) }) != nil {}
        } catch {
            fail(context: context, error)
        }
    }

    private func dispatch(_ reply: UnsafePointer<redisReply>) throws(RedisError) {
        if mode == .subscriber, let onPush {
            return onPush(reply)
        }
        guard let next = expected.popFirst() else {
            throw RedisError(.protocolViolation, "a reply to no command: \(RESPValue(reply))")
        }
        switch next {
        case .reply(let promise): promise.succeed(RESPValue(reply))
        case .ignored:
            if reply.pointee.type == REDIS_REPLY_ERROR { onIgnoredError?(RESPValue.string(reply.pointee)) }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        onWritabilityChanged?(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, RedisError(ending: error))
    }

    private func fail(context: ChannelHandlerContext, _ error: RedisError) {
        if closeReason == nil { closeReason = error }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let reason = closeReason ?? RedisError(.connectionLost, "Redis closed the connection")
        while let next = expected.popFirst() {
            if case .reply(let promise) = next { promise.fail(reason) }
        }
        onClose?(reason)
        onClose = nil
        context.fireChannelInactive()
    }
}

extension RedisError {
    /// What ended a connection, from the error the pipeline met: a TLS failure (`TLSError`,
    /// fired or failing a write) says TLS, anything else that the connection was lost.
    init(ending error: any Error) {
        if let redis = error as? RedisError {
            self = redis
        } else {
            self.init(error is TLSError ? .tls : .connectionLost, "\(error)")
        }
    }
}
