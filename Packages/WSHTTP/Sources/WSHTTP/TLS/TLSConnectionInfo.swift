/// What a finished TLS handshake agreed on, as the TLS handler reports it
/// (``WebSocketTLS/connectionInfo``).
public struct TLSConnectionInfo: Sendable, Hashable {
    /// The protocol version.
    public var version: TLSVersion?
    /// The cipher suite, in OpenSSL's name ("TLS_AES_256_GCM_SHA384"); nil when the handler
    /// does not say (SwiftNIO SSL's does not).
    public var cipher: String?
    /// The ALPN protocol agreed on, if any.
    public var applicationProtocol: String?
    /// The host name the client asked for (SNI); on a client, the one it sent.
    public var serverName: String?
    /// The subject of the peer's certificate ("CN=localhost"), when it sent one.
    public var peerCertificateSubject: String?

    /// A handshake's facts; any may be unknown.
    public init(version: TLSVersion? = nil, cipher: String? = nil, applicationProtocol: String? = nil, serverName: String? = nil,
                peerCertificateSubject: String? = nil) {
        self.version = version
        self.cipher = cipher
        self.applicationProtocol = applicationProtocol
        self.serverName = serverName
        self.peerCertificateSubject = peerCertificateSubject
    }
}

/// A TLS protocol version. TLS 1.0 and 1.1 are not offered: both are deprecated (RFC 8996).
public enum TLSVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// TLS 1.2 (RFC 5246).
    case tls12
    /// TLS 1.3 (RFC 8446).
    case tls13

    /// The name OpenSSL and most tools print: "TLSv1.2", "TLSv1.3".
    public var description: String { self == .tls12 ? "TLSv1.2" : "TLSv1.3" }
}
