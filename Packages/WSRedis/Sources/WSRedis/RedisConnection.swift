import CHiredis
import Logging
import NIOCore
import NIOPosix
import WSTLS

/// One connection to one Redis node, authenticated and answering PING: a publisher
/// (pipelined commands, replies in order) or a subscriber (every reply a push).
/// Its members are used on its channel's event loop.
final class RedisConnection: @unchecked Sendable {
    // @unchecked: `handler` is used on `channel.eventLoop` only.
    let channel: any Channel
    let handler: RedisHandler
    /// Where it is connected: `host:port`.
    let address: String

    private init(channel: any Channel, handler: RedisHandler, address: String) {
        self.channel = channel
        self.handler = handler
        self.address = address
    }

    /// How to reach a node and sign in.
    struct Options: Sendable {
        var tls: TLSClientContext?
        var username: String?
        var password: String?
        var connectTimeout: Duration
        var maxReplyBytes: Int
        var writeBufferHighWater: Int
    }

    /// Connects to `host:port`, signs in when a password is given, and checks with a PING.
    static func connect(host: String, port: Int, options: Options, on eventLoop: any EventLoop) -> EventLoopFuture<RedisConnection> {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let maxReplyBytes = options.maxReplyBytes
        let high = max(options.writeBufferHighWater, 2)
        let tls = options.tls
        // The handler as the initializer made it: a TLS handshake that fails at once can close
        // the channel, and empty its pipeline, before the connect's future runs.
        let made = MadeHandler()
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(options.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.writeBufferWaterMark, value: .init(low: high / 2, high: high))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(TLSHandler(client: tls, serverHostname: host)) }
                    let handler = try RedisHandler(maxReplyBytes: maxReplyBytes)
                    made.handler = handler
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port)
            .flatMapErrorThrowing { error in
                throw RedisError(.unreachable, "cannot reach Redis at \(address): \(Self.describe(error))")
            }
        return connected.flatMap { channel in
            channel.eventLoop.makeCompletedFuture {
                guard let handler = made.handler else { throw RedisError(.connectionLost, "Redis at \(address): no connection") }
                return RedisConnection(channel: channel, handler: handler, address: address)
            }
        }.flatMap { connection in
            connection.signIn(username: options.username, password: options.password).map { @Sendable _ in connection }.flatMapError { @Sendable error in
                connection.channel.close(promise: nil)
                return eventLoop.makeFailedFuture(error)
            }
        }
    }

    /// AUTH when there is a password, then PING: a node that wants a password says so here.
    private func signIn(username: String?, password: String?) -> EventLoopFuture<Void> {
        let address = self.address
        let authenticated: EventLoopFuture<Void>
        if let password {
            authenticated = request(["AUTH"] + (username.map { [$0] } ?? []) + [password]).flatMapThrowing { reply in
                guard case .error(let text) = reply else { return }
                throw RedisError(.authentication, "Redis at \(address) refused the credentials: \(text)")
            }
        } else {
            authenticated = channel.eventLoop.makeSucceededVoidFuture()
        }
        return authenticated.flatMap { self.request(["PING"]) }.flatMapThrowing { reply in
            switch reply {
            case .status("PONG"): return
            case .error(let text) where text.hasPrefix("NOAUTH"):
                throw RedisError(.authentication, "Redis at \(address) needs a password (\(text)): give it in the URL, redis://:PASSWORD@\(address)")
            default: throw RedisError(.replied, "Redis at \(address) answered PING with \(reply)")
            }
        }.flatMapErrorThrowing { error in
            guard let redis = error as? RedisError else { throw error }
            switch redis.kind {
            case .tls: throw RedisError(.tls, "TLS with Redis at \(address) failed: \(redis.message)")
            case .connectionLost, .protocolViolation: throw RedisError(redis.kind, "Redis at \(address): \(redis.message)")
            default: throw redis
            }
        }
    }

    /// Sends a command and gives its reply.
    func request(_ arguments: [String]) -> EventLoopFuture<RESPValue> {
        let bytes: ByteBuffer
        do { bytes = try RESPCommand.make(arguments) } catch { return channel.eventLoop.makeFailedFuture(error) }
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        channel.writeAndFlush(RedisOutbound(bytes: bytes, replies: [.reply(promise)])).whenFailure { [self] error in
            // A connection already closed says why (a TLS failure, say), not that the write failed.
            promise.fail(self.handler.closeReason ?? RedisError(ending: error))
        }
        return promise.futureResult
    }

    /// Sends commands whose replies nobody waits for (publishes, or a subscriber's commands).
    func send(_ bytes: ByteBuffer, ignoredReplies: Int) {
        channel.writeAndFlush(RedisOutbound(bytes: bytes, replies: Array(repeating: .ignored, count: ignoredReplies)), promise: nil)
    }

    func close() { channel.close(promise: nil) }

    /// What a connect error says, without NIO's type names where a plain one exists.
    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ETIMEDOUT: return "timed out"
            case EHOSTUNREACH, ENETUNREACH: return "no route to the host"
            default: return "\(io)"
            }
        }
        if error is ChannelError, case .connectTimeout = error as? ChannelError { return "no answer within the connect timeout" }
        if let connect = error as? NIOConnectionError {
            if let first = connect.connectionErrors.first { return describe(first.error) }
            if connect.dnsAAAAError != nil || connect.dnsAError != nil { return "the host name is unknown" }
        }
        return "\(error)"
    }
}

/// The `RedisHandler` a connection's initializer made, for the connect's future: set and read
/// on the channel's event loop only.
private final class MadeHandler: @unchecked Sendable {
    var handler: RedisHandler?
}
