import HTTPTypes
public import Logging
public import NIOCore
public import NIOHTTP1
import WSFraming
public import WSHandshake

/// This library's WebSocket as a protocol of SwiftNIO's own HTTP/1.1 upgrade machinery
/// (`NIOTypedHTTPServerUpgradeHandler`, set up by `configureUpgradableHTTPServerPipeline`):
/// NIO parses the requests and runs the upgrade; this upgrader checks the request (RFC 6455
/// §4.2.1), negotiates the subprotocol and permessage-deflate, and hands the upgraded channel
/// to ``WebSocket/adopt(_:role:handshake:configuration:consumer:logger:)``. The upgrade's
/// result is the live ``WebSocket``, or what `result` makes of it when the pipeline's other
/// paths share a result type of yours.
///
/// ```swift
/// let upgrader = WebSocketServerProtocolUpgrader(logger: logger)
/// let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
///     configuration: .init(upgradeConfiguration: .init(upgraders: [upgrader], notUpgradingCompletionHandler: { channel in
///         channel.eventLoop.makeFailedFuture(NotAWebSocket())
///     })))
/// upgraded.whenSuccess { webSocket in Task { for await message in webSocket.messages { … } } }
/// ```
public struct WebSocketServerProtocolUpgrader<UpgradeResult: Sendable>: NIOTypedHTTPServerProtocolUpgrader, Sendable {

    /// `websocket`, the token of the `Upgrade` header (RFC 6455 §4.1).
    public let supportedProtocol = "websocket"
    /// None: the request's fields are checked by WSHandshake's `WebSocketUpgradeRequest`, which refuses with
    /// a reason.
    public let requiredUpgradeHeaders: [String] = []

    private let configuration: WebSocket.Configuration
    private let subprotocols: [String]
    private let consumer: WebSocket.Consumer
    private let logger: Logger
    private let shouldUpgrade: @Sendable (WebSocketUpgradeRequest) -> Bool
    private let result: @Sendable (WebSocket) -> UpgradeResult

    /// An upgrader for NIO's HTTP/1.1 server pipeline.
    ///
    /// - Parameters:
    ///   - configuration: the live connections' limits, timeouts and permessage-deflate policy.
    ///   - subprotocols: the subprotocols spoken, in order of preference: each upgrade gets the
    ///     first that the client offered, or none.
    ///   - consumer: who takes each connection's messages.
    ///   - logger: where the connections log.
    ///   - shouldUpgrade: whether to accept a valid request (authentication, origin); a refusal
    ///     lets NIO's pipeline go on as for a request that is not an upgrade. Default: accept.
    ///   - result: the upgrade's result made of the live WebSocket, such as a case of your own
    ///     enum that the not-upgrading path also returns.
    public init(configuration: WebSocket.Configuration = .default, subprotocols: [String] = [], consumer: WebSocket.Consumer = .async,
                logger: Logger, shouldUpgrade: @escaping @Sendable (WebSocketUpgradeRequest) -> Bool = { _ in true },
                result: @escaping @Sendable (WebSocket) -> UpgradeResult) {
        self.configuration = configuration
        self.subprotocols = subprotocols
        self.consumer = consumer
        self.logger = logger
        self.shouldUpgrade = shouldUpgrade
        self.result = result
    }

    private func agree(_ head: HTTPRequestHead) throws(HandshakeError) -> WebSocketServerAgreement {
        let upgrade = try WebSocketUpgradeRequest(validating: HTTPConversion.request(head),
                                                  httpVersion: (Int(head.version.major), Int(head.version.minor)))
        return WebSocketServerAgreement(upgrade, subprotocols: subprotocols, configuration: configuration)
    }

    /// Checks the request and answers the 101's WebSocket fields; fails (NIO then treats the
    /// request as not an upgrade) when the request is not a valid upgrade or is refused.
    public func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead,
                                     initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        do throws(HandshakeError) {
            let agreement = try agree(upgradeRequest)
            guard shouldUpgrade(agreement.upgrade) else {
                return channel.eventLoop.makeFailedFuture(WebSocketError(.upgradeRefused, "the upgrade was refused"))
            }
            var headers = initialResponseHeaders
            for field in agreement.response.headerFields where field.name != .upgrade && field.name != .connection {
                headers.replaceOrAdd(name: field.name.rawName, value: field.value)
            }
            return channel.eventLoop.makeSucceededFuture(headers)
        } catch {
            logger.notice("upgrade refused", metadata: ["ws.status": "\(error.refusal.status.code)", "ws.reason": "\(error.message)"])
            return channel.eventLoop.makeFailedFuture(WebSocketError.handshake(error))
        }
    }

    /// Runs the live connection on the upgraded channel.
    public func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        channel.eventLoop.makeCompletedFuture {
            let agreement = try agree(upgradeRequest)
            return result(try agreement.adopt(channel, configuration: configuration, consumer: consumer, logger: logger))
        }
    }
}

extension WebSocketServerProtocolUpgrader where UpgradeResult == WebSocket {
    /// An upgrader whose result is the live ``WebSocket``; the parameters are those of
    /// ``init(configuration:subprotocols:consumer:logger:shouldUpgrade:result:)``.
    public init(configuration: WebSocket.Configuration = .default, subprotocols: [String] = [], consumer: WebSocket.Consumer = .async,
                logger: Logger, shouldUpgrade: @escaping @Sendable (WebSocketUpgradeRequest) -> Bool = { _ in true }) {
        self.init(configuration: configuration, subprotocols: subprotocols, consumer: consumer, logger: logger,
                  shouldUpgrade: shouldUpgrade, result: { $0 })
    }
}
