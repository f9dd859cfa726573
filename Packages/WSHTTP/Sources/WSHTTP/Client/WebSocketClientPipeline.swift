public import Logging
public import NIOCore
import NIOHTTP1
public import WSHandshake

extension Channel {
    /// Makes this connected channel a WebSocket client: sends `handshake`'s request, checks
    /// the server's answer (RFC 6455 §4.1) and puts the live connection in place of the HTTP
    /// handlers, keeping bytes that came right behind the 101.
    ///
    /// - Returns: the live connection; or fails with ``WebSocketError``:
    ///   ``WebSocketError/Code/upgradeRefused`` with the server's response and body for any
    ///   status but 101, ``WebSocketError/Code/handshakeFailed`` otherwise.
    public func configureWebSocketClientPipeline(
        handshake: WebSocketClientHandshake, configuration: WebSocket.Configuration = .default,
        consumer: WebSocket.Consumer = .async, logger: Logger
    ) -> EventLoopFuture<WebSocket> {
        let promise = eventLoop.makePromise(of: WebSocket.self)
        eventLoop.execute {
            do {
                let encoder = HTTPRequestEncoder()
                let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
                let upgrader = WebSocketClientUpgradeHandler(
                    handshake: handshake, configuration: configuration, consumer: consumer, logger: logger,
                    encoder: encoder, decoder: decoder, promise: promise)
                try self.pipeline.syncOperations.addHandlers([encoder, decoder, upgrader])
            } catch {
                promise.fail(error)
            }
        }
        return promise.futureResult
    }
}
