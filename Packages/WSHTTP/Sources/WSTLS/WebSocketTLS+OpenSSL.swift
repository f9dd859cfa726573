public import NIOCore
@_spi(WSInternal) public import WSHTTP

/// `.openSSL(context)`: TLS on the system's OpenSSL for WSHTTP's pipelines, on either side.
extension WebSocketTLS {
    /// A server's TLS on the system's OpenSSL: a ``TLSHandler`` with `context` for each connection.
    ///
    /// - Parameters:
    ///   - context: the server's certificate, key and TLS settings.
    ///   - handshakeTimeout: how long a client may take over its TLS handshake; nil
    ///     for no limit (a server's own handshake timeout may still apply).
    public static func openSSL(_ context: TLSServerContext, handshakeTimeout: TimeAmount? = .seconds(10)) -> WebSocketTLS {
        var tls = WebSocketTLS(connectionInfo: info, isTLSFailure: { $0 is TLSError }, failureCause: cause) { _ in
            TLSHandler(server: context, handshakeTimeout: handshakeTimeout)
        }
        tls.handsBackReads = true
        return tls
    }

    /// A client's TLS on the system's OpenSSL: a ``TLSHandler`` with `context`, which sends the
    /// pipeline's server name as SNI and checks the server's certificate against it.
    ///
    /// - Parameters:
    ///   - context: the trust store and TLS settings that the server's certificate is checked with.
    ///   - handshakeTimeout: how long the server may take over the TLS handshake; nil for no limit.
    public static func openSSL(_ context: TLSClientContext, handshakeTimeout: TimeAmount? = .seconds(10)) -> WebSocketTLS {
        var tls = WebSocketTLS(connectionInfo: info, isTLSFailure: { $0 is TLSError }, failureCause: cause) { serverHostname in
            TLSHandler(client: context, serverHostname: serverHostname, handshakeTimeout: handshakeTimeout)
        }
        tls.handsBackReads = true
        return tls
    }

    @Sendable private static func cause(_ error: any Error) -> String {
        (error as? TLSError)?.kind.description ?? "\(type(of: error))"
    }

    @Sendable private static func info(_ pipeline: ChannelPipeline.SynchronousOperations) -> TLSConnectionInfo? {
        (try? pipeline.handler(type: TLSHandler.self))?.connectionInfo
    }
}

/// Why TLS failed, as a ``TLSError``, when the connection's TLS was `.openSSL`.
extension WebSocketError {
    /// The TLS failure on the system's OpenSSL, for WSHTTP's `WebSocketError.Code.tlsFailed`: its
    /// ``TLSError/kind`` tells an expired certificate from a host name mismatch or an unknown CA.
    public var tlsError: TLSError? { tlsFailure as? TLSError }
}
