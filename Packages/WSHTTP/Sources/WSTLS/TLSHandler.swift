internal import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import NIOCore
@_spi(WSInternal) public import WSHTTP
import Synchronization

/// Sent down the pipeline (`userInboundEventTriggered`) when the handshake has finished.
public struct TLSHandshakeCompleted: Sendable {
    /// What the handshake agreed on.
    public let info: TLSConnectionInfo
}

/// Sent down the pipeline (`userInboundEventTriggered`) when the peer's `close_notify` has
/// arrived: it will send no more, and the connection closes (after ours, if not sent yet).
public struct TLSCloseNotifyReceived: Sendable {}

/// TLS on a NIO channel, with OpenSSL working on memory buffers: ciphertext from the socket
/// goes in, plaintext comes out to the next handler; plaintext written by the handlers goes in,
/// ciphertext goes to the socket. Put it first in the pipeline (`TLSHandler(server:)` or
/// `TLSHandler(client:serverHostname:)`); everything after it reads and writes plain bytes.
///
/// - Writes made before the handshake has finished wait and go out after it (a client sends
///   nothing before it has verified the server).
/// - Closing sends `close_notify` and waits up to `closeNotifyTimeout` for the peer's before it
///   closes the socket; a `close_notify` from the peer is answered with ours, then the socket is
///   closed. Renegotiation is refused.
/// - A failed handshake is passed on (`errorCaught`) as a `TLSError` that says why, and the
///   channel is closed after OpenSSL's alert has been sent.
public final class TLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum Role {
        case server(TLSServerContext)
        case client(TLSClientContext, hostname: String?)
    }

    private enum State {
        case idle, handshaking, established, closing, closed
    }

    /// The OpenSSL connections (`SSL` objects) alive in this process: a figure for leak checks
    /// and metrics. It returns to its earlier value when every channel has closed.
    public static var liveConnections: Int { live.load(ordering: .relaxed) }
    private static let live = Atomic<Int>(0)

    /// What the handshake agreed on, once it has finished (read it on the channel's event loop).
    public private(set) var connectionInfo: TLSConnectionInfo?

    private let role: Role
    private let handshakeTimeout: TimeAmount?
    private let closeNotifyTimeout: TimeAmount
    private var state = State.idle
    private var ssl: OpaquePointer?
    /// The context `ssl` was made from, kept as long as `ssl` lives.
    private var contextBox: SSLContextBox?
    private var readBIO: OpaquePointer?
    private var writeBIO: OpaquePointer?
    /// Writes made before the handshake finished, sent after it.
    private var waitingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var flushWaiting = false
    /// Promises of writes encrypted but not yet flushed to the socket.
    private var unflushedPromises: [EventLoopPromise<Void>] = []
    private var closePromise: EventLoopPromise<Void>?
    private var timer: Scheduled<Void>?
    /// The read's buffer, handed back to the event loop at the read's end (WSHTTP's
    /// `EventLoopBuffers`, which a WebSocket reads into): OpenSSL has copied it.
    private var readBuffer: ByteBuffer?
    /// The event loop's buffers, once a read came.
    private var buffers: EventLoopBuffers?
    private var sentCloseNotify = false

    /// A server side: each connection uses the context's configuration of the moment.
    /// - Parameters:
    ///   - context: the server's certificate, key and TLS settings.
    ///   - handshakeTimeout: a client that has not finished the handshake by then is cut off
    ///     (default 10 s; nil: no limit).
    ///   - closeNotifyTimeout: how long a close waits for the peer's `close_notify` (default 1 s).
    public init(server context: TLSServerContext, handshakeTimeout: TimeAmount? = .seconds(10),
                closeNotifyTimeout: TimeAmount = .seconds(1)) {
        role = .server(context)
        self.handshakeTimeout = handshakeTimeout
        self.closeNotifyTimeout = closeNotifyTimeout
    }

    /// A client side.
    /// - Parameters:
    ///   - context: the trust store and TLS settings that the server's certificate is checked with.
    ///   - serverHostname: the host of the URL: sent as SNI (unless it is an IP address) and
    ///     checked against the server's certificate (a host name, or an IP address against the
    ///     certificate's IP entries). Nil sends no SNI and, unless verification is off, makes
    ///     every handshake fail, since there is nothing to check the certificate against.
    ///   - handshakeTimeout: the handshake must finish by then (default 10 s; nil: no limit).
    ///   - closeNotifyTimeout: how long a close waits for the peer's `close_notify` (default 1 s).
    public init(client context: TLSClientContext, serverHostname: String?, handshakeTimeout: TimeAmount? = .seconds(10),
                closeNotifyTimeout: TimeAmount = .seconds(1)) {
        role = .client(context, hostname: serverHostname)
        self.handshakeTimeout = handshakeTimeout
        self.closeNotifyTimeout = closeNotifyTimeout
    }

    /// Counts a connection of the context in or out.
    private func countInContext(_ delta: Int) {
        switch role {
        case .server(let server): server.live.add(delta, ordering: .relaxed)
        case .client(let client, _): client.live.add(delta, ordering: .relaxed)
        }
    }

    private var isServer: Bool { if case .server = role { true } else { false } }
    private var peerName: String { isServer ? "client" : "server" }

    // MARK: Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        readBuffer = nil  // a read that ended with the channel (NIO skips channelReadComplete then)
        release()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .idle, .handshaking:
            state = .closed
            fireError(TLSError(.closedDuringHandshake, "the connection closed before the TLS handshake finished"), context: context)
        case .established, .closing:
            if let readBIO, BIO_ctrl_pending(readBIO) > 0 {
                fireError(TLSError(.truncated, "the connection ended in the middle of a TLS record"), context: context)
            }
        case .closed:
            break
        }
        state = .closed
        failWaitingWrites(ChannelError.ioOnClosedChannel)
        closePromise?.succeed()
        closePromise = nil
        release()
        context.fireChannelInactive()
    }

    private func start(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        let contextBox: SSLContextBox
        switch role {
        case .server(let server): contextBox = server.box
        case .client(let client, _): contextBox = client.box
        }
        let ssl = SSL_new(contextBox.context), readBIO = BIO_new(BIO_s_mem()), writeBIO = BIO_new(BIO_s_mem())
        guard let ssl, let readBIO, let writeBIO else {
            SSL_free(ssl)
            BIO_free(readBIO)
            BIO_free(writeBIO)
            state = .closed
            fireError(TLSError(.handshakeFailed, "OpenSSL could not make a connection object (out of memory?)"), context: context)
            context.close(promise: nil)
            return
        }
        Self.live.add(1, ordering: .relaxed)
        countInContext(1)
        self.contextBox = contextBox
        SSL_set_bio(ssl, readBIO, writeBIO)
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        switch role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client(let client, let hostname):
            SSL_set_connect_state(ssl)
            if let hostname {
                let isAddress = Self.isIPAddress(hostname)
                if !isAddress { _ = ws_SSL_set_tlsext_host_name(ssl, hostname) }
                if client.configuration.verification != .insecureNoVerification {
                    if isAddress {
                        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), Self.unbracketed(hostname))
                    } else {
                        SSL_set1_host(ssl, hostname)
                    }
                }
            }
        }
        state = .handshaking
        if let handshakeTimeout {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: handshakeTimeout) {
                let (handler, context) = bound.value
                guard case .handshaking = handler.state else { return }
                handler.fail(TLSError(.handshakeFailed, "the TLS handshake did not finish within \(handshakeTimeout)"),
                             context: context)
            }
        }
        handshake(context: context)
    }

    private func release() {
        timer?.cancel()
        timer = nil
        if let ssl {
            SSL_free(ssl) // frees both BIOs
            Self.live.subtract(1, ordering: .relaxed)
            countInContext(-1)
        }
        ssl = nil
        readBIO = nil
        writeBIO = nil
        contextBox = nil
    }

    // MARK: Handshake

    private func handshake(context: ChannelHandlerContext) {
        guard let ssl else { return }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            timer?.cancel()
            timer = nil
            state = .established
            let info = Self.info(of: ssl)
            connectionInfo = info
            context.fireUserInboundEventTriggered(TLSHandshakeCompleted(info: info))
            let writes = waitingWrites
            waitingWrites = []
            for (buffer, promise) in writes { encrypt(buffer, promise: promise, context: context) }
            flushCiphertext(context: context)
            flushWaiting = false
            readPlaintext(context: context) // application data that came with the last handshake flight
            return
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            flushCiphertext(context: context)
        default:
            fail(TLSError.handshake(ssl: ssl, role: isServer ? "server" : "client", peer: peerName), context: context)
        }
    }

    /// Sends OpenSSL's alert, if it wrote one, passes the error on and closes the channel.
    private func fail(_ error: TLSError, context: ChannelHandlerContext) {
        guard state != .closed else { return }
        state = .closed
        timer?.cancel()
        timer = nil
        failWaitingWrites(error)
        flushCiphertext(context: context)
        fireError(error, context: context)
        context.close(promise: nil)
    }

    private func fireError(_ error: TLSError, context: ChannelHandlerContext) {
        context.fireErrorCaught(error)
    }

    private static func info(of ssl: OpaquePointer) -> TLSConnectionInfo {
        let version: TLSVersion? = switch SSL_version(ssl) {
        case TLS1_2_VERSION: .tls12
        case TLS1_3_VERSION: .tls13
        default: nil
        }
        var cipher = "?"
        if let current = SSL_get_current_cipher(ssl), let name = SSL_CIPHER_get_name(current) { cipher = String(cString: name) }
        var protocolPointer: UnsafePointer<UInt8>?
        var protocolLength: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &protocolPointer, &protocolLength)
        let applicationProtocol = protocolPointer.map {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(protocolLength)), as: UTF8.self)
        }
        let serverName = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
        var subject: String?
        if let certificate = SSL_get1_peer_certificate(ssl) {
            defer { X509_free(certificate) }
            if let name = X509_get_subject_name(certificate), let bio = BIO_new(BIO_s_mem()) {
                defer { BIO_free(bio) }
                X509_NAME_print_ex(bio, name, 0, ws_XN_FLAG_RFC2253())
                var bytes = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(bio)))
                let count = BIO_read(bio, &bytes, Int32(bytes.count))
                subject = String(decoding: bytes.prefix(max(0, Int(count))), as: UTF8.self)
            }
        }
        return TLSConnectionInfo(version: version, cipher: cipher, applicationProtocol: applicationProtocol,
                                 serverName: serverName, peerCertificateSubject: subject)
    }

    // MARK: Reading

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        readBuffer = buffer
        guard let readBIO, state != .closed, state != .idle else { return }
        let written = buffer.withUnsafeReadableBytes { BIO_write(readBIO, $0.baseAddress, Int32($0.count)) }
        guard written == buffer.readableBytes else {
            fail(TLSError(.protocolError, "OpenSSL could not take \(buffer.readableBytes) bytes (out of memory?)"), context: context)
            return
        }
        switch state {
        case .handshaking: handshake(context: context)
        case .established, .closing: readPlaintext(context: context)
        case .idle, .closed: break
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if let buffer = readBuffer.take() {
            if buffers == nil { buffers = .of(context.eventLoop) }
            buffers?.giveBack(read: consume buffer)
        }
        context.fireChannelReadComplete()
    }

    /// Decrypts every whole record received and passes the plaintext on, in as few buffers as fit.
    ///
    /// What the plaintext reaches may close the channel before it returns (a refused upgrade
    /// whose answer is written at once, a peer that reset the socket), and the close frees the
    /// OpenSSL connection: after each hand-off it reads on only if that connection is still
    /// this handler's.
    private func readPlaintext(context: ChannelHandlerContext) {
        guard let ssl, let readBIO else { return }
        var plaintext = newPlaintextBuffer(context: context, readBIO: readBIO)
        while true {
            if plaintext.writableBytes == 0 {
                context.fireChannelRead(wrapInboundOut(plaintext))
                guard self.ssl == ssl else { return }
                plaintext = newPlaintextBuffer(context: context, readBIO: readBIO)
            }
            ERR_clear_error()
            var result: Int32 = 0
            plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { raw in
                result = SSL_read(ssl, raw.baseAddress, Int32(clamping: raw.count))
                return Int(max(0, result))
            }
            if result > 0 { continue }
            let error = SSL_get_error(ssl, result)
            if plaintext.readableBytes > 0 {
                context.fireChannelRead(wrapInboundOut(plaintext))
                guard self.ssl == ssl else { return }
            }
            switch error {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                flushCiphertextIfAny(context: context)
            case SSL_ERROR_ZERO_RETURN:
                peerSentCloseNotify(context: context)
            default:
                // In TLS 1.3 a server refuses a client certificate after the client has finished
                // its handshake: the alert arrives here, and says why like a handshake failure.
                var failure = TLSError.handshake(ssl: ssl, role: isServer ? "server" : "client", peer: peerName)
                if failure.kind == .handshakeFailed {
                    let alert = failure.detail?.contains("alert") == true
                    failure = TLSError(.protocolError, alert ? "the \(peerName) ended the connection with a fatal TLS alert"
                                                             : "a TLS record from the \(peerName) could not be read", detail: failure.detail)
                }
                fail(failure, context: context)
            }
            return
        }
    }

    /// A buffer for what the records received so far decrypt to: as large as their ciphertext
    /// (so that a message of several records arrives in one piece), 16 KiB to 1 MiB.
    private func newPlaintextBuffer(context: ChannelHandlerContext, readBIO: OpaquePointer) -> ByteBuffer {
        context.channel.allocator.buffer(capacity: min(max(Int(BIO_ctrl_pending(readBIO)), 16_384), 1 << 20))
    }

    private func peerSentCloseNotify(context: ChannelHandlerContext) {
        guard let ssl else { return }
        context.fireUserInboundEventTriggered(TLSCloseNotifyReceived())
        if !sentCloseNotify {
            sentCloseNotify = true
            _ = SSL_shutdown(ssl)
            flushCiphertext(context: context)
        }
        state = .closing
        let promise = closePromise
        closePromise = nil
        context.close(promise: promise)
    }

    // MARK: Writing

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        switch state {
        case .idle, .handshaking:
            waitingWrites.append((buffer, promise))
        case .established:
            encrypt(buffer, promise: promise, context: context)
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        switch state {
        case .idle, .handshaking: flushWaiting = true
        case .established: flushCiphertext(context: context)
        case .closing, .closed: context.flush()
        }
    }

    private func encrypt(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        guard let ssl else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        var rest = buffer
        while rest.readableBytes > 0 {
            ERR_clear_error()
            // A memory BIO grows as needed, so SSL_write takes everything it is given; in pieces of
            // 256 KiB so that the ciphertext of a large message goes out as it is made.
            let piece = min(rest.readableBytes, 256 * 1024)
            let written = rest.withUnsafeReadableBytes { SSL_write(ssl, $0.baseAddress, Int32(piece)) }
            guard written > 0 else {
                let (text, _) = TLSError.drainErrorQueue()
                promise?.fail(TLSError(.protocolError, "OpenSSL refused to encrypt a write", detail: text))
                return
            }
            rest.moveReaderIndex(forwardBy: Int(written))
            if rest.readableBytes > 0 { writeCiphertext(context: context, promise: nil) }
        }
        if let promise { unflushedPromises.append(promise) }
    }

    private func flushCiphertextIfAny(context: ChannelHandlerContext) {
        if let writeBIO, BIO_ctrl_pending(writeBIO) > 0 { flushCiphertext(context: context) }
    }

    /// Writes the ciphertext OpenSSL has made, with the promises of the writes it holds, and flushes.
    private func flushCiphertext(context: ChannelHandlerContext) {
        let promises = unflushedPromises
        unflushedPromises = []
        var promise: EventLoopPromise<Void>?
        if promises.count == 1 {
            promise = promises[0]
        } else if promises.count > 1 {
            let combined = context.eventLoop.makePromise(of: Void.self)
            combined.futureResult.whenComplete { result in promises.forEach { $0.completeWith(result) } }
            promise = combined
        }
        writeCiphertext(context: context, promise: promise)
        context.flush()
    }

    private func writeCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard let writeBIO else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let pending = Int(BIO_ctrl_pending(writeBIO))
        guard pending > 0 else {
            promise?.succeed()
            return
        }
        var ciphertext = context.channel.allocator.buffer(capacity: pending)
        ciphertext.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { raw in
            Int(max(0, BIO_read(writeBIO, raw.baseAddress, Int32(pending))))
        }
        context.write(wrapOutboundOut(ciphertext), promise: promise)
    }

    private func failWaitingWrites(_ error: any Error) {
        let writes = waitingWrites
        waitingWrites = []
        for (_, promise) in writes { promise?.fail(error) }
        let promises = unflushedPromises
        unflushedPromises = []
        for promise in promises { promise.fail(error) }
    }

    // MARK: Closing

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, case .established = state, let ssl else {
            if mode == .all, state != .closing { state = .closed; failWaitingWrites(ChannelError.ioOnClosedChannel) }
            if case .closing = state, mode == .all, let closePromise {
                promise.map { closePromise.futureResult.cascade(to: $0) }
                return
            }
            context.close(mode: mode, promise: promise)
            return
        }
        state = .closing
        let closing = promise ?? context.eventLoop.makePromise()
        closePromise = closing
        sentCloseNotify = true
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        // The write can fail on a socket the peer has reset, and the channel close at once
        // (channelInactive completes `closing`): then there is nothing to wait for.
        flushCiphertext(context: context)
        guard closePromise != nil else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer?.cancel()
        timer = context.eventLoop.scheduleTask(in: closeNotifyTimeout) {
            let (handler, context) = bound.value
            guard let promise = handler.closePromise else { return }
            handler.closePromise = nil
            context.close(promise: promise)
        }
        closing.futureResult.whenComplete { _ in
            bound.value.0.timer?.cancel()
        }
    }

    // MARK: Host names

    private static func isIPAddress(_ host: String) -> Bool {
        let bare = unbracketed(host)
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, bare, &v4) == 1 || inet_pton(AF_INET6, bare, &v6) == 1
    }

    private static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }
}
