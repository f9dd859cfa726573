// What a TLS server or client is configured with. Plain values: a context
// (`TLSServerContext`, `TLSClientContext`) checks them and loads them into OpenSSL.
public import WSHTTP

/// PEM data: a file's path or the bytes themselves.
public enum PEMSource: Sendable, Hashable {
    /// A PEM file, read when the context is made (and again on `reload`).
    case file(String)
    /// PEM text in memory.
    case bytes([UInt8])

    /// PEM text in memory, from a string.
    public static func pem(_ text: String) -> PEMSource { .bytes(Array(text.utf8)) }
}

/// A TLS server's certificate, key and policy: WebSockets.jl's `SSLConfig(cert, key)`, and more.
///
/// ```swift
/// let tls = try TLSServerContext(TLSServerConfiguration(
///     certificateChain: .file("/etc/ws/fullchain.pem"), privateKey: .file("/etc/ws/key.pem")))
/// ```
public struct TLSServerConfiguration: Sendable {
    /// The server's certificate first, then the intermediates that lead to a trusted root.
    public var certificateChain: PEMSource
    /// The private key of the first certificate (PKCS#8, PKCS#1 or SEC1, in PEM).
    public var privateKey: PEMSource
    /// The password of an encrypted private key. Without one, an encrypted key is refused
    /// with an error (OpenSSL is never allowed to ask on the terminal).
    public var privateKeyPassword: String?
    /// Whether clients must present a certificate (mutual TLS). Default: `.none`.
    public var clientCertificates: ClientCertificatePolicy
    /// The ALPN protocols the server accepts, in its order of preference. Default
    /// `["http/1.1"]`: a client that offers only `h2` gets no ALPN answer, not an error.
    public var applicationProtocols: [String]
    /// The lowest protocol version accepted. Default TLS 1.2.
    public var minimumVersion: TLSVersion
    /// The highest protocol version offered. Default TLS 1.3.
    public var maximumVersion: TLSVersion

    /// Which client certificates a server asks for and accepts.
    public enum ClientCertificatePolicy: Sendable, Hashable {
        /// No client certificate is asked for.
        case none
        /// A certificate is asked for and, when sent, must chain to one of these CA
        /// certificates; a client may send none.
        case optional(trustedCAs: PEMSource)
        /// Every client must present a certificate that chains to one of these CA
        /// certificates, or the handshake fails.
        case required(trustedCAs: PEMSource)
    }

    /// A configuration with strict defaults: TLS 1.2 and 1.3, OpenSSL's default secure
    /// ciphers, no renegotiation, ALPN `http/1.1`, no client certificates.
    public init(certificateChain: PEMSource, privateKey: PEMSource, privateKeyPassword: String? = nil,
                clientCertificates: ClientCertificatePolicy = .none, applicationProtocols: [String] = ["http/1.1"],
                minimumVersion: TLSVersion = .tls12, maximumVersion: TLSVersion = .tls13) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.privateKeyPassword = privateKeyPassword
        self.clientCertificates = clientCertificates
        self.applicationProtocols = applicationProtocols
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
    }
}

/// A TLS client's trust and identity. The default verifies the server against the system's
/// trust store and the host name of the URL.
public struct TLSClientConfiguration: Sendable {
    /// How the server's certificate is checked.
    public var verification: Verification
    /// A client certificate chain, for servers that ask for one (mutual TLS).
    public var certificateChain: PEMSource?
    /// The private key of `certificateChain`'s first certificate.
    public var privateKey: PEMSource?
    /// The password of an encrypted `privateKey`.
    public var privateKeyPassword: String?
    /// The ALPN protocols offered, in order. Default `["http/1.1"]`.
    public var applicationProtocols: [String]
    /// The lowest protocol version accepted. Default TLS 1.2.
    public var minimumVersion: TLSVersion
    /// The highest protocol version offered. Default TLS 1.3.
    public var maximumVersion: TLSVersion

    /// How a client checks the server's certificate.
    public enum Verification: Sendable, Hashable {
        /// The chain must lead to a root in the system's trust store (Debian: the
        /// `ca-certificates` package, through OpenSSL's default paths), and the certificate
        /// must name the host (or IP address) connected to.
        case systemTrustStore
        /// The chain must lead to one of these CA certificates (instead of the system's),
        /// and the certificate must name the host (or IP address) connected to.
        case trustedCAs(PEMSource)
        /// No check at all: any certificate, from anyone, for any name, is accepted, so anyone
        /// on the path can read and change the traffic. For tests against self-signed servers
        /// only; a context made with it logs a warning.
        case insecureNoVerification
    }

    /// A configuration with strict defaults: the system's trust store, host name checks,
    /// TLS 1.2 and 1.3, ALPN `http/1.1`, no client certificate.
    public init(verification: Verification = .systemTrustStore, certificateChain: PEMSource? = nil,
                privateKey: PEMSource? = nil, privateKeyPassword: String? = nil,
                applicationProtocols: [String] = ["http/1.1"], minimumVersion: TLSVersion = .tls12,
                maximumVersion: TLSVersion = .tls13) {
        self.verification = verification
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.privateKeyPassword = privateKeyPassword
        self.applicationProtocols = applicationProtocols
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
    }
}
