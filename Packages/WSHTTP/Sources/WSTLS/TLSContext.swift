internal import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging
import Synchronization

/// A TLS server's certificates and policy, loaded into OpenSSL once and shared by every
/// connection. `reload(_:)` puts a new configuration in place for the connections that come
/// after it (a renewed certificate, say) without a restart; connections already open keep theirs.
public final class TLSServerContext: Sendable {
    private let current: Mutex<(box: SSLContextBox, configuration: TLSServerConfiguration)>

    /// Loads the certificate chain and key (and the client CAs) and checks that they fit.
    /// - Throws: `TLSError` of kind `.configuration`, saying which file and what is wrong.
    public init(_ configuration: TLSServerConfiguration) throws {
        current = Mutex((try SSLContextBox(server: configuration), configuration))
    }

    /// The configuration in force for new connections.
    public var configuration: TLSServerConfiguration { current.withLock { $0.configuration } }

    /// Loads `configuration` and, when it is valid, uses it for every connection from now on.
    /// A configuration that fails to load changes nothing.
    public func reload(_ configuration: TLSServerConfiguration) throws {
        let box = try SSLContextBox(server: configuration)
        current.withLock { $0 = (box, configuration) }
    }

    var box: SSLContextBox { current.withLock { $0.box } }

    /// The connections (OpenSSL `SSL` objects) made from this context that are alive now:
    /// open, or still closing. A figure for metrics and leak checks.
    public var liveConnections: Int { live.load(ordering: .relaxed) }
    let live = Atomic<Int>(0)
}

/// A TLS client's trust store, identity and policy, loaded into OpenSSL once and shared by
/// every connection.
public final class TLSClientContext: Sendable {
    /// The configuration it was made from.
    public let configuration: TLSClientConfiguration
    let box: SSLContextBox

    /// The connections (OpenSSL `SSL` objects) made from this context that are alive now.
    public var liveConnections: Int { live.load(ordering: .relaxed) }
    let live = Atomic<Int>(0)

    /// Loads the trust store and the client certificate, if any.
    /// - Throws: `TLSError` of kind `.configuration`, saying which file and what is wrong.
    public init(_ configuration: TLSClientConfiguration = TLSClientConfiguration(), logger: Logger? = nil) throws {
        self.configuration = configuration
        box = try SSLContextBox(client: configuration)
        if configuration.verification == .insecureNoVerification {
            (logger ?? Logger(label: "WSTLS")).warning(
                "TLS certificate verification is OFF (insecureNoVerification): any server can pose as any host")
        }
    }
}

/// One OpenSSL `SSL_CTX` and what it points to, freed together.
final class SSLContextBox: @unchecked Sendable {
    // SSL_CTX is internally locked for the calls made after set-up (SSL_new); set-up happens in
    // init. Each connection keeps the box it was made from (its ALPN list is the callback's
    // argument), so a reload never frees what a handshake in progress uses.
    let context: OpaquePointer
    private let alpn: UnsafeMutablePointer<ws_alpn_list>?
    private let alpnBytes: UnsafeMutableBufferPointer<UInt8>?

    init(server configuration: TLSServerConfiguration) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError.configuration("could not create an OpenSSL context") }
        var alpn: UnsafeMutablePointer<ws_alpn_list>?
        var alpnBytes: UnsafeMutableBufferPointer<UInt8>?
        do {
            try Self.applyCommon(context, server: true, minimum: configuration.minimumVersion, maximum: configuration.maximumVersion)
            try Self.useIdentity(context, chain: configuration.certificateChain, key: configuration.privateKey,
                                 password: configuration.privateKeyPassword)
            switch configuration.clientCertificates {
            case .none:
                SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
            case .optional(let cas), .required(let cas):
                let certificates = try Self.certificates(in: cas, what: "client CA certificates")
                let store = SSL_CTX_get_cert_store(context)
                for certificate in certificates {
                    X509_STORE_add_cert(store, certificate)
                    SSL_CTX_add_client_CA(context, certificate)
                    X509_free(certificate)
                }
                var mode = SSL_VERIFY_PEER
                if case .required = configuration.clientCertificates { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
                SSL_CTX_set_verify(context, mode, nil)
            }
            if !configuration.applicationProtocols.isEmpty {
                let wire = try Self.alpnWireFormat(configuration.applicationProtocols)
                let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: wire.count)
                _ = bytes.initialize(from: wire)
                let list = UnsafeMutablePointer<ws_alpn_list>.allocate(capacity: 1)
                list.initialize(to: ws_alpn_list(protocols: bytes.baseAddress, length: UInt32(wire.count)))
                ws_SSL_CTX_set_alpn_server(context, list)
                alpn = list
                alpnBytes = bytes
            }
        } catch {
            SSL_CTX_free(context)
            alpn?.deallocate()
            alpnBytes?.deallocate()
            throw error
        }
        // Stored only now: a throwing init of a fully initialized object would run deinit too.
        self.context = context
        self.alpn = alpn
        self.alpnBytes = alpnBytes
    }

    init(client configuration: TLSClientConfiguration) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.configuration("could not create an OpenSSL context") }
        do {
            try Self.applyCommon(context, server: false, minimum: configuration.minimumVersion, maximum: configuration.maximumVersion)
            switch configuration.verification {
            case .systemTrustStore:
                guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                    throw TLSError.configuration("could not load the system's trust store")
                }
                SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            case .trustedCAs(let source):
                let store = SSL_CTX_get_cert_store(context)
                for certificate in try Self.certificates(in: source, what: "trusted CA certificates") {
                    X509_STORE_add_cert(store, certificate)
                    X509_free(certificate)
                }
                SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            case .insecureNoVerification:
                SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
            }
            switch (configuration.certificateChain, configuration.privateKey) {
            case (let chain?, let key?):
                try Self.useIdentity(context, chain: chain, key: key, password: configuration.privateKeyPassword)
            case (nil, nil):
                break
            default:
                throw TLSError.configuration("a client certificate needs both certificateChain and privateKey")
            }
            if !configuration.applicationProtocols.isEmpty {
                let wire = try Self.alpnWireFormat(configuration.applicationProtocols)
                // SSL_CTX_set_alpn_protos returns 0 on success.
                guard SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) == 0 else {
                    throw TLSError.configuration("could not set the ALPN protocols \(configuration.applicationProtocols)")
                }
            }
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.context = context
        alpn = nil
        alpnBytes = nil
    }

    deinit {
        SSL_CTX_free(context)
        alpn?.deallocate()
        alpnBytes?.deallocate()
    }

    private static func applyCommon(_ context: OpaquePointer, server: Bool, minimum: TLSVersion, maximum: TLSVersion) throws {
        guard minimum <= maximum else {
            throw TLSError.configuration("the minimum TLS version \(minimum) is above the maximum \(maximum)")
        }
        func number(_ version: TLSVersion) -> Int32 { version == .tls12 ? TLS1_2_VERSION : TLS1_3_VERSION }
        ws_SSL_CTX_set_strict_options(context, server ? 1 : 0)
        _ = ws_SSL_CTX_set_min_proto_version(context, number(minimum))
        _ = ws_SSL_CTX_set_max_proto_version(context, number(maximum))
        // Idle connections give their 34 KiB of record buffers back; memory BIOs never block.
        _ = ws_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
    }

    /// Puts the certificate chain and its key in the context and checks that they belong together.
    private static func useIdentity(_ context: OpaquePointer, chain: PEMSource, key: PEMSource, password: String?) throws {
        let certificates = try certificates(in: chain, what: "certificate chain")
        defer { certificates.forEach { X509_free($0) } }
        guard SSL_CTX_use_certificate(context, certificates[0]) == 1 else {
            throw TLSError.configuration("the certificate in \(describe(chain)) was refused",
                                         detail: TLSError.drainErrorQueue().text)
        }
        for intermediate in certificates.dropFirst() where ws_SSL_CTX_add1_chain_cert(context, intermediate) != 1 {
            throw TLSError.configuration("an intermediate certificate in \(describe(chain)) was refused",
                                         detail: TLSError.drainErrorQueue().text)
        }
        let bytes = try read(key, what: "private key")
        let privateKey: OpaquePointer? = bytes.withUnsafeBytes { raw in
            let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count))
            defer { BIO_free(bio) }
            // With no callback, OpenSSL takes the last argument as the password; an empty one
            // makes an encrypted key fail instead of prompting on the terminal.
            return (password ?? "").withCString { PEM_read_bio_PrivateKey(bio, nil, nil, UnsafeMutableRawPointer(mutating: $0)) }
        }
        guard let privateKey else {
            let detail = TLSError.drainErrorQueue().text
            let encrypted = String(decoding: bytes, as: UTF8.self).contains("ENCRYPTED")
            let why = encrypted ? (password == nil ? "it is encrypted and no password was given" : "wrong password?")
                                : "no PEM private key found"
            throw TLSError.configuration("could not read the private key in \(describe(key)): \(why)", detail: detail)
        }
        defer { EVP_PKEY_free(privateKey) }
        guard SSL_CTX_use_PrivateKey(context, privateKey) == 1, SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError.configuration("the private key in \(describe(key)) does not match the certificate in \(describe(chain))",
                                         detail: TLSError.drainErrorQueue().text)
        }
    }

    /// Every certificate in a PEM source, in order; at least one. The caller frees them.
    static func certificates(in source: PEMSource, what: String) throws -> [OpaquePointer] {
        let bytes = try read(source, what: what)
        var certificates: [OpaquePointer] = []
        bytes.withUnsafeBytes { raw in
            let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count))
            defer { BIO_free(bio) }
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) { certificates.append(certificate) }
        }
        ERR_clear_error() // the loop ends on a "no start line" error
        guard !certificates.isEmpty else {
            throw TLSError.configuration("no PEM certificate found in \(describe(source)) (\(what))")
        }
        return certificates
    }

    private static func read(_ source: PEMSource, what: String) throws -> [UInt8] {
        switch source {
        case .bytes(let bytes):
            return bytes
        case .file(let path):
            guard let file = fopen(path, "rb") else {
                throw TLSError.configuration("could not open the \(what) file \(path): \(String(cString: strerror(errno)))")
            }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = fread(&chunk, 1, chunk.count, file)
                if count > 0 { bytes += chunk[..<count] }
                if count < chunk.count { break }
                guard bytes.count < 16 << 20 else { throw TLSError.configuration("the \(what) file \(path) is over 16 MiB") }
            }
            return bytes
        }
    }

    private static func describe(_ source: PEMSource) -> String {
        if case .file(let path) = source { return path }
        return "the PEM bytes given"
    }

    private static func alpnWireFormat(_ protocols: [String]) throws -> [UInt8] {
        var wire: [UInt8] = []
        for name in protocols {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else { throw TLSError.configuration("ALPN protocol name '\(name)' must be 1 to 255 bytes") }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        return wire
    }
}

extension TLSError {
    static func configuration(_ message: String, detail: String? = nil) -> TLSError {
        TLSError(.configuration, message, detail: detail)
    }
}
