import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import WSHTTP
import WSHandshake

/// One HTTP/1.1 connection that may upgrade: SwiftNIO's upgrade handler takes the first
/// request; a WebSocket route's upgrade becomes this library's `WebSocket`, anything else is
/// served by Hummingbird as on its plain HTTP/1.1 channel.
struct WebSocketUpgradeChannel<Upgrade: HTTPResponder>: ServerChildChannel, HTTPChannelHandler
where Upgrade.Context: RequestContext, Upgrade.Context.Source == ApplicationRequestContextSource {
    struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<UpgradeOutcome>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let upgradeResponder: Upgrade
    let configuration: WebSocketUpgradeConfiguration

    init(responder: @escaping HTTPChannelHandler.Responder, upgradeResponder: Upgrade, configuration: WebSocketUpgradeConfiguration) {
        self.responder = Self.redirectingLaterUpgrades(responder)
        self.upgradeResponder = upgradeResponder
        self.configuration = configuration
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let state = NIOLockedValueBox(RouteUpgradeState.undecided)
            let upgrader = RouteUpgrader(responder: upgradeResponder, configuration: configuration, logger: logger, state: state)
            let http1 = configuration.http1
            let upgrades = NIOTypedHTTPServerUpgradeConfiguration<UpgradeOutcome>(upgraders: [upgrader], notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                    try pipeline.addHandlers(http1.additionalChannelHandlers())
                    try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .nanoseconds($0.nanoseconds) },
                                                                       logger: logger))
                    let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    if case .refused(let response) = state.withLockedValue({ $0 }) { return .refused(asyncChannel, response) }
                    return .http(asyncChannel)
                }
            })
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgrades)
            pipeline.enablePipelining = false  // NIOAsyncChannel reads one request at a time
            pipeline.enableErrorHandling = false  // Hummingbird answers parse errors
            pipeline.enableResponseHeaderValidation = false  // swift-http-types validated them
            pipeline.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            pipeline.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            pipeline.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            return Value(outcome: outcome, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        let outcome: UpgradeOutcome
        do {
            outcome = try await value.outcome.get()
        } catch {
            logger.debug("connection ended before its first request was answered", metadata: ["ws.reason": "\(error)"])
            return
        }
        switch outcome {
        case .http(let asyncChannel):
            await handleHTTP(asyncChannel: asyncChannel, logger: logger)
        case .refused(let asyncChannel, let response):
            await Self.send(response, andClose: asyncChannel, logger: logger)
        case .onEventLoop:
            break  // the event loop runs it; the server's quiesce closes it with 1001
        case .webSocket(let webSocket, let run):
            if configuration.runsOnEventLoop {
                await withTaskExecutorPreference(webSocket.taskExecutor) { await webSocket.serve(run) }
            } else {
                await webSocket.serve(run)
            }
        }
    }

    /// Sends a refusal and closes the connection: the upgrade request's bytes are not read on.
    private static func send(_ response: Response, andClose asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>,
                             logger: Logger) async {
        var response = response
        response.headers[.connection] = "close"
        do {
            try await asyncChannel.executeThenClose { _, outbound in
                try await ResponseWriter(outbound: outbound).write(response: response.head, body: response.body)
            }
        } catch {
            logger.debug("refusal not sent", metadata: ["ws.reason": "\(error)"])
        }
    }

    /// Only a connection's first request can upgrade (SwiftNIO's upgrade handler leaves the
    /// pipeline after it). A later upgrade request on a kept-alive connection is redirected
    /// to the same target and the connection closed, so that the client upgrades on a new
    /// one.
    private static func redirectingLaterUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        return { request, writer, channel in
            guard request.head.requestsWebSocketUpgrade else { return try await responder(request, writer, channel) }
            try await writer.writeResponse(HTTPResponse(status: .temporaryRedirect,
                                                        headerFields: [.location: request.uri.description, .connection: "close", .contentLength: "0"]))
            throw LaterUpgradeRedirected()
        }
    }
}

/// Ends a connection whose later upgrade request was redirected.
struct LaterUpgradeRedirected: Error {}
