public import Logging
public import NIOCore
import NIOHTTP1
public import WSHandshake
public import WSTLS

extension Channel {
    /// Makes this connected channel a WebSocket client: sends `handshake`'s request, checks
    /// the server's answer (RFC 6455 §4.1) and puts the live connection in place of the HTTP
    /// handlers, keeping bytes that came right behind the 101.
    ///
    /// - Returns: the live connection; or fails with ``WebSocketError``:
    ///   ``WebSocketError/Code/upgradeRefused`` with the server's response and body for any
    ///   status but 101, ``WebSocketError/Code/tlsFailed`` when TLS fails (a certificate
    ///   refused, …), ``WebSocketError/Code/handshakeFailed`` otherwise.
    ///
    /// - Parameters:
    ///   - tls: speak `wss` with this context: a ``TLSHandler`` goes first in the pipeline,
    ///     and the request waits until the server's certificate has been verified. Nil for `ws`.
    ///   - serverHostname: the name sent as SNI and checked against the server's certificate;
    ///     by default the handshake's ``WebSocketClientHandshake/host``.
    ///   - configuration: the live connection's limits and timeouts; its
    ///     ``WebSocket/Configuration/deflate`` is offered, unless `handshake` offers
    ///     permessage-deflate itself: then the server's answer is checked against those offers,
    ///     and the connection compresses as agreed.
    public func configureWebSocketClientPipeline(
        handshake: WebSocketClientHandshake, tls: TLSClientContext? = nil, serverHostname: String? = nil,
        configuration: WebSocket.Configuration = .default, consumer: WebSocket.Consumer = .async, logger: Logger
    ) -> EventLoopFuture<WebSocket> {
        let promise = eventLoop.makePromise(of: WebSocket.self)
        // permessage-deflate: offered from the configuration, unless the handshake offers it
        // already; then the server's answer is checked against those offers.
        let written = handshake.extensions.filter(\.isPermessageDeflate)
        let deflateOffers = written.isEmpty ? configuration.deflate.map { [$0.clientOffer] } ?? []
            : written.compactMap { try? DeflateNegotiation.ClientOffer($0) }
        let handshake = written.isEmpty ? deflateOffers.first.map { handshake.offering($0.offer) } ?? handshake : handshake
        eventLoop.execute {
            do {
                let encoder = HTTPRequestEncoder()
                let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
                let upgrader = WebSocketClientUpgradeHandler(
                    handshake: handshake, deflateOffers: deflateOffers, configuration: configuration, consumer: consumer, logger: logger,
                    encoder: encoder, decoder: decoder, promise: promise)
                if let tls {
                    try self.pipeline.syncOperations.addHandler(
                        TLSHandler(client: tls, serverHostname: serverHostname ?? handshake.host))
                }
                try self.pipeline.syncOperations.addHandlers([encoder, decoder, upgrader])
            } catch {
                promise.fail(error)
            }
        }
        return promise.futureResult
    }
}
