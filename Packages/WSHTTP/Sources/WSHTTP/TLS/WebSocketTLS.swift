public import NIOCore

/// TLS for `wss`: the channel handler that WSHTTP's pipelines put first in a connection's
/// pipeline, made anew for each connection. Everything after it reads and writes plain bytes.
///
/// Any NIO TLS handler works. This package's WSTLS module (TLS on the system's OpenSSL) gives
/// `WebSocketTLS.openSSL(_:)` for its contexts; with SwiftNIO SSL, WSHTTP needs no libssl:
///
/// ```swift
/// let tls = WebSocketTLS { _ in NIOSSLServerHandler(context: sslContext) }
/// try channel.pipeline.syncOperations.configureWebSocketServerPipeline(tls: tls, logger: logger, handlers: handlers)
/// ```
public struct WebSocketTLS: Sendable {
    /// Makes the handler of one connection, on its event loop. `serverHostname` is, on a
    /// client, the name to send as SNI and to check the server's certificate against; nil on
    /// a server.
    public var makeHandler: @Sendable (_ serverHostname: String?) throws -> any ChannelHandler
    /// What the handshake agreed on, read from the connection's pipeline (on its event loop)
    /// when the WebSocket opens: ``WebSocket/Handshake/tls``. Nil when the handler does not say.
    public var connectionInfo: @Sendable (ChannelPipeline.SynchronousOperations) -> TLSConnectionInfo?
    /// Whether an error that reaches the upgrade is the handler's TLS failure: a client's
    /// upgrade then fails with ``WebSocketError/Code/tlsFailed`` (the error in
    /// ``WebSocketError/tlsFailure``), and a server closes without an HTTP answer (the handler
    /// has sent its alert). Other errors fail a client's handshake with
    /// ``WebSocketError/Code/handshakeFailed``, and get a server's 400.
    public var isTLSFailure: @Sendable (any Error) -> Bool
    /// A TLS failure's cause, in a word, for the ``WebSocketMetrics/Name/tlsHandshakeFailures``
    /// metric (a fixed set of values: it is a label). By default the error's type name.
    public var failureCause: @Sendable (any Error) -> String
    /// Whether the handler hands each socket read back to its event loop once it has taken the
    /// bytes (WSTLS's `TLSHandler` does): only then does the connection read into the loop's
    /// buffer (``EventLoopBuffers``); behind another handler it reads as NIO does by default,
    /// since a buffer that is never handed back would cost a new one on every read.
    @_spi(WSInternal) public var handsBackReads = false

    /// TLS with the handler that `makeHandler` makes for each connection.
    ///
    /// - Parameters:
    ///   - connectionInfo: reads what the handshake agreed on; by default nothing.
    ///   - isTLSFailure: recognises the handler's errors; by default none is.
    ///   - failureCause: names a TLS failure's cause in a word; by default its type's name.
    ///   - makeHandler: makes the TLS handler of one connection; a client passes the server's
    ///     host name (for SNI and the certificate check), a server `nil`. What it throws
    ///     fails the connection.
    public init(
        connectionInfo: @escaping @Sendable (ChannelPipeline.SynchronousOperations) -> TLSConnectionInfo? = { _ in nil },
        isTLSFailure: @escaping @Sendable (any Error) -> Bool = { _ in false },
        failureCause: @escaping @Sendable (any Error) -> String = { "\(type(of: $0))" },
        makeHandler: @escaping @Sendable (_ serverHostname: String?) throws -> any ChannelHandler
    ) {
        self.makeHandler = makeHandler
        self.connectionInfo = connectionInfo
        self.isTLSFailure = isTLSFailure
        self.failureCause = failureCause
    }
}
