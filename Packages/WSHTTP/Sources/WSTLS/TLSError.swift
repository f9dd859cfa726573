internal import COpenSSL

/// What went wrong in TLS, with a message that says it in words.
///
/// Handshake failures name the cause (`certificateExpired`, `hostnameMismatch`, `unknownCA`,
/// `protocolVersion`, …) and keep OpenSSL's own text in `detail`.
public struct TLSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure, for code that reacts to it.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// A name for logs.
        public var description: String { name }

        /// A certificate, key or CA file could not be read or does not fit (context creation).
        public static let configuration = Kind("configuration")
        /// The peer's certificate has expired.
        public static let certificateExpired = Kind("certificateExpired")
        /// The peer's certificate is not valid yet.
        public static let certificateNotYetValid = Kind("certificateNotYetValid")
        /// The server's certificate does not name the host (or IP address) connected to.
        public static let hostnameMismatch = Kind("hostnameMismatch")
        /// The peer's certificate does not chain to a trusted CA (self-signed, or signed by an
        /// authority that is not trusted here).
        public static let unknownCA = Kind("unknownCA")
        /// The peer's certificate failed verification for another reason (see `detail`).
        public static let certificateInvalid = Kind("certificateInvalid")
        /// The server requires a client certificate and none was sent.
        public static let certificateRequired = Kind("certificateRequired")
        /// The peer refused our certificate (it sent an alert: bad, unknown CA, expired, …).
        public static let certificateRefusedByPeer = Kind("certificateRefusedByPeer")
        /// No protocol version both sides accept.
        public static let protocolVersion = Kind("protocolVersion")
        /// The peer does not speak TLS: its first bytes are not a TLS record (plain HTTP, say).
        public static let notTLS = Kind("notTLS")
        /// The handshake failed for another reason (see `detail`).
        public static let handshakeFailed = Kind("handshakeFailed")
        /// The connection ended before the handshake finished.
        public static let closedDuringHandshake = Kind("closedDuringHandshake")
        /// The connection ended in the middle of a TLS record: data was cut off.
        public static let truncated = Kind("truncated")
        /// A TLS record could not be read after the handshake (bad MAC, bad record, …).
        public static let protocolError = Kind("protocolError")
    }

    /// The kind of failure.
    public let kind: Kind
    /// One sentence for a person.
    public let message: String
    /// OpenSSL's own words, when it gave any ("certificate has expired", "tlsv13 alert certificate required").
    public let detail: String?

    /// An error of a kind, with a message and OpenSSL's detail.
    public init(_ kind: Kind, _ message: String, detail: String? = nil) {
        self.kind = kind
        self.message = message
        self.detail = detail
    }

    /// "TLS error (unknownCA): … (OpenSSL: …)".
    public var description: String {
        "TLS error (\(kind)): \(message)" + (detail.map { " (OpenSSL: \($0))" } ?? "")
    }
}

extension TLSError {
    /// Drains OpenSSL's error queue of this thread into one line, newest last.
    static func drainErrorQueue() -> (text: String?, reasons: [Int32]) {
        var lines: [String] = []
        var reasons: [Int32] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "error:0A000086:SSL routines::certificate verify failed" → the last part.
            lines.append(text.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? text)
            reasons.append(ws_ERR_GET_REASON(code))
        }
        return (lines.isEmpty ? nil : lines.joined(separator: "; "), reasons)
    }

    /// The error for a handshake that OpenSSL refused on `ssl`, from the verification result and
    /// the error queue.
    static func handshake(ssl: OpaquePointer, role: String, peer: String) -> TLSError {
        let (text, reasons) = drainErrorQueue()
        let verify = Int32(SSL_get_verify_result(ssl))
        if reasons.contains(SSL_R_CERTIFICATE_VERIFY_FAILED), verify != X509_V_OK {
            let words = String(cString: X509_verify_cert_error_string(Int(verify)))
            let kind: Kind
            switch verify {
            case X509_V_ERR_CERT_HAS_EXPIRED: kind = .certificateExpired
            case X509_V_ERR_CERT_NOT_YET_VALID: kind = .certificateNotYetValid
            case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH: kind = .hostnameMismatch
            case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                 X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
                 X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
                kind = .unknownCA
            default: kind = .certificateInvalid
            }
            let what: String
            switch kind {
            case .certificateExpired: what = "the \(peer)'s certificate has expired"
            case .certificateNotYetValid: what = "the \(peer)'s certificate is not valid yet"
            case .hostnameMismatch: what = "the \(peer)'s certificate is not for the host connected to"
            case .unknownCA: what = "the \(peer)'s certificate is not signed by a trusted certificate authority"
            default: what = "the \(peer)'s certificate was refused"
            }
            return TLSError(kind, what, detail: words)
        }
        let alertsAboutOurCertificate: Set<Int32> = [
            SSL_R_SSLV3_ALERT_BAD_CERTIFICATE, SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED,
            SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED, SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN,
            SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE, SSL_R_TLSV1_ALERT_UNKNOWN_CA,
            SSL_R_TLSV1_ALERT_ACCESS_DENIED, SSL_R_TLSV1_ALERT_DECRYPT_ERROR,
        ]
        if reasons.contains(SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED) {
            return TLSError(.certificateRefusedByPeer, "the \(peer) requires a client certificate and none was sent", detail: text)
        }
        if reasons.contains(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
            return TLSError(.certificateRequired, "the \(peer) sent no certificate, and one is required", detail: text)
        }
        if reasons.contains(where: alertsAboutOurCertificate.contains) {
            return TLSError(.certificateRefusedByPeer, "the \(peer) refused our certificate", detail: text)
        }
        if reasons.contains(where: [SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION,
                                    SSL_R_NO_PROTOCOLS_AVAILABLE, SSL_R_UNSUPPORTED_SSL_VERSION].contains) {
            return TLSError(.protocolVersion, "the \(peer) and this \(role) have no TLS version in common", detail: text)
        }
        if reasons.contains(where: [SSL_R_WRONG_VERSION_NUMBER, SSL_R_HTTP_REQUEST, SSL_R_HTTPS_PROXY_REQUEST,
                                    SSL_R_PACKET_LENGTH_TOO_LONG, SSL_R_RECORD_LENGTH_MISMATCH].contains) {
            return TLSError(.notTLS, "the \(peer) did not speak TLS (plain HTTP or garbage where a TLS record belongs)",
                            detail: text)
        }
        return TLSError(.handshakeFailed, "the TLS handshake with the \(peer) failed", detail: text ?? "no reason given")
    }
}
