public import Logging
public import NIOCore
import NIOHTTP1
import Tracing
public import WSHandshake

/// Making a SwiftNIO channel a WebSocket: a server's pipeline, which serves HTTP and upgrades,
/// and a client's, which sends the upgrade request.
extension Channel {
    /// Makes this connected channel a WebSocket client: sends `handshake`'s request, checks
    /// the server's answer (RFC 6455 §4.1) and puts the live connection in place of the HTTP
    /// handlers, keeping bytes that came right behind the 101.
    ///
    /// - Returns: the live connection; or fails with ``WebSocketError``:
    ///   ``WebSocketError/Code/upgradeRefused`` with the server's response and body for any
    ///   status but 101, ``WebSocketError/Code/tlsFailed`` when TLS fails (a certificate
    ///   refused, …, or `tls`'s maker threw), ``WebSocketError/Code/handshakeFailed`` otherwise
    ///   (the connection closed before the 101, even a moment before this call). On failure
    ///   the channel is closed.
    ///
    /// - Parameters:
    ///   - handshake: the request to send: the target, the host, the key, and any
    ///     subprotocols and extensions to offer (WSHandshake's `WebSocketClientHandshake`).
    ///   - tls: speak `wss`: its handler goes first in the pipeline (with WSTLS,
    ///     `.openSSL(context)`; or any NIO TLS handler), and the request is encrypted behind
    ///     the TLS handshake. Nil for `ws`.
    ///   - serverHostname: the name sent as SNI and checked against the server's certificate;
    ///     by default the handshake's `host`.
    ///   - configuration: the live connection's limits and timeouts; its
    ///     ``WebSocket/Configuration/deflate`` is offered, unless `handshake` offers
    ///     permessage-deflate itself: then the server's answer is checked against those offers,
    ///     and the connection compresses as agreed.
    ///   - consumer: how the messages are handed to your code: ``WebSocket/Consumer/async``
    ///     (the default), a task reading ``WebSocket/messages``, or callbacks on the event loop.
    ///   - logger: where the connection logs (the handshake's failures, lifecycle at debug).
    public func configureWebSocketClientPipeline(
        handshake: WebSocketClientHandshake, tls: WebSocketTLS? = nil, serverHostname: String? = nil,
        configuration: WebSocket.Configuration = .default, consumer: WebSocket.Consumer = .async, logger: Logger
    ) -> EventLoopFuture<WebSocket> {
        let promise = eventLoop.makePromise(of: WebSocket.self)
        // permessage-deflate: offered from the configuration, unless the handshake offers it
        // already; then the server's answer is checked against those offers.
        let written = handshake.extensions.filter(\.isPermessageDeflate)
        let deflateOffers = written.isEmpty ? configuration.deflate.map { [$0.clientOffer] } ?? []
            : written.compactMap { try? DeflateNegotiation.ClientOffer($0) }
        var offered = written.isEmpty ? deflateOffers.first.map { handshake.offering($0.offer) } ?? handshake : handshake
        let span = WebSocketClientUpgradeHandler.startSpan(for: &offered, tracing: configuration.tracing, secure: tls != nil)
        let handshake = offered
        eventLoop.execute {
            do {
                let encoder = HTTPRequestEncoder()
                let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
                let upgrader = WebSocketClientUpgradeHandler(
                    handshake: handshake, tls: tls, deflateOffers: deflateOffers, configuration: configuration, consumer: consumer, logger: logger,
                    encoder: encoder, decoder: decoder, promise: promise, span: span)
                if let tls {
                    let handler: any ChannelHandler
                    do {
                        handler = try tls.makeHandler(serverHostname ?? handshake.host)
                    } catch {
                        throw WebSocketError(.tlsFailed, "could not make the TLS handler: \(error)", tlsFailure: error)
                    }
                    try self.pipeline.syncOperations.addHandler(handler)
                }
                try self.pipeline.syncOperations.addHandlers([encoder, decoder, upgrader])
            } catch let error as WebSocketError {
                span?.fail(error)
                promise.fail(error)
                self.close(promise: nil)
            } catch {
                // The channel closed before its pipeline was set up (the server went at once).
                let failure = WebSocketError(.handshakeFailed, "could not start the opening handshake: \(error)")
                span?.fail(failure)
                promise.fail(failure)
                self.close(promise: nil)
            }
        }
        return promise.futureResult
    }
}
