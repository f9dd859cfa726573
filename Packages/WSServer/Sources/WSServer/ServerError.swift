public import NIOCore
public import WSHTTP

extension WebSocketServer {
    /// Something that went wrong on one connection, for ``WebSocketServer/errors`` (WebSockets.jl's
    /// `.out` channel): the log says it too.
    public struct ConnectionError: Sendable, CustomStringConvertible {
        /// Where it went wrong.
        public enum Kind: Sendable, Hashable {
            /// TLS failed: a refused or missing certificate, no common version, not TLS at all.
            case tls
            /// The socket failed (reset by the peer, …).
            case connection
            /// A WebSocket ended badly: a protocol violation by the peer (1002, 1007, 1009, …),
            /// a limit (1008), a dead peer (1006/1011), or a close without the handshake.
            case webSocket
        }

        /// Where it went wrong.
        public let kind: Kind
        /// The peer.
        public let remoteAddress: SocketAddress?
        /// What went wrong, in words.
        public let message: String
        /// The WebSocket's outcome, for ``Kind/webSocket``.
        public let outcome: CloseOutcome?
        /// The underlying error, when there was one (a `TLSError`, NIO's I/O error, …).
        public let error: (any Error)?

        /// "webSocket from 127.0.0.1:5000: …".
        public var description: String {
            "\(kind) from \(remoteAddress.map { "\($0)" } ?? "?"): \(message)"
        }
    }
}

/// Passes the errors that reach it (TLS and socket errors) to the server's stream, and on.
final class ErrorTap: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    private let report: @Sendable (WebSocketServer.ConnectionError) -> Void

    init(report: @escaping @Sendable (WebSocketServer.ConnectionError) -> Void) { self.report = report }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let kind: WebSocketServer.ConnectionError.Kind = error is TLSError ? .tls : .connection
        report(.init(kind: kind, remoteAddress: context.channel.remoteAddress, message: "\(error)", outcome: nil, error: error))
        context.fireErrorCaught(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.fireChannelRead(data) }
}
