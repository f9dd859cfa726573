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

/// What the upgrade path made of a connection's first request.
enum UpgradeOutcome: Sendable {
    /// The upgrade went through: the live connection and the route's handler.
    case webSocket(WebSocket, run: @Sendable (WebSocket) async throws -> Void)
    /// The upgrade went through to an event-loop handler: nothing more to run.
    case onEventLoop
    /// Not an upgrade: Hummingbird serves the connection's requests.
    case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    /// An upgrade refused before the 101, with the response to send.
    case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, Response)
}

/// The state of one connection's upgrade, between the decision and the 101.
enum RouteUpgradeState: Sendable {
    case undecided
    case accepted(WebSocketServerAgreement, WebSocketRunner)
    case refused(Response)
}

/// SwiftNIO's upgrader for WebSocket routes: checks the request (WSHandshake), runs the
/// router on it (middleware, then the route's decision), and on acceptance answers the 101
/// that ``WSHTTP/WebSocketServerAgreement`` makes and adopts the channel. One per connection.
struct RouteUpgrader<Upgrade: HTTPResponder>: NIOTypedHTTPServerProtocolUpgrader, Sendable
where Upgrade.Context: RequestContext, Upgrade.Context.Source == ApplicationRequestContextSource {
    typealias UpgradeResult = UpgradeOutcome

    let supportedProtocol = "websocket"
    /// None: WSHandshake checks the fields, and refuses with a reason.
    let requiredUpgradeHeaders: [String] = []

    let responder: Upgrade
    let configuration: WebSocketUpgradeConfiguration
    let logger: Logger
    let state: NIOLockedValueBox<RouteUpgradeState>

    /// Fails the upgrade; NIO then hands the connection to the not-upgrading path, which
    /// sends the refusal.
    struct Refused: Error {}

    func buildUpgradeResponse(channel: any Channel, upgradeRequest head: HTTPRequestHead,
                              initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        let request: HTTPRequest
        let upgrade: WebSocketUpgradeRequest
        do {
            request = try HTTPRequest(head, secure: false, splitCookie: false)
            upgrade = try WebSocketUpgradeRequest(validating: request, httpVersion: (Int(head.version.major), Int(head.version.minor)))
        } catch {
            let refusal = (error as? HandshakeError).map(Self.response(for:)) ?? Response(status: .badRequest)
            logger.notice("upgrade refused", metadata: ["ws.status": "\(refusal.status.code)", "ws.reason": "\(error)"])
            return refuse(refusal, on: channel)
        }
        let promise = channel.eventLoop.makePromise(of: HTTPHeaders.self)
        promise.completeWithTask {
            let slot = UpgradeSlot()
            let routed = Request(head: request, body: RequestBody(buffer: ByteBuffer()))
            let context = Upgrade.Context(source: ApplicationRequestContextSource(channel: channel, logger: logger))
            let response = await UpgradeSlot.$current.withValue(slot) { await respond(to: routed, context: context) }
            guard response.status == .switchingProtocols, let acceptance = slot.acceptance else {
                logger.notice("upgrade refused", metadata: ["ws.status": "\(response.status.code)", "ws.target": "\(upgrade.target)"])
                state.withLockedValue { $0 = .refused(response) }
                throw Refused()
            }
            let agreement = WebSocketServerAgreement(upgrade, subprotocols: configuration.subprotocols, headerFields: response.headers,
                                                     configuration: configuration.webSocket)
            state.withLockedValue { $0 = .accepted(agreement, acceptance) }
            var headers = initialResponseHeaders
            for field in agreement.response.headerFields where field.name != .upgrade && field.name != .connection {
                headers.add(name: field.name.rawName, value: field.value)
            }
            return headers
        }
        return promise.futureResult
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeOutcome> {
        channel.eventLoop.makeCompletedFuture {
            guard case .accepted(let agreement, let runner) = state.withLockedValue({ $0 }) else { throw Refused() }
            let consumer: WebSocket.Consumer = if case .eventLoop(let make) = runner { .eventLoop(make) } else { .async }
            let webSocket = try agreement.adopt(channel, configuration: configuration.webSocket, consumer: consumer, logger: logger)
            logger.debug("upgrade accepted", metadata: ["ws.target": "\(agreement.upgrade.target)",
                                                        "ws.subprotocol": "\(agreement.subprotocol ?? "")"])
            guard case .task(let run) = runner else { return .onEventLoop }
            return .webSocket(webSocket, run: run)
        }
    }

    /// The router's response; a thrown `HTTPResponseError` becomes its response, any other
    /// error a 500, as on Hummingbird's plain routes.
    private func respond(to request: Request, context: Upgrade.Context) async -> Response {
        do {
            return try await responder.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            return (try? error.response(from: request, context: context)) ?? Response(status: error.status)
        } catch {
            logger.debug("WebSocket route threw", metadata: ["ws.reason": "\(error)"])
            return Response(status: .internalServerError)
        }
    }

    private func refuse(_ response: Response, on channel: any Channel) -> EventLoopFuture<HTTPHeaders> {
        state.withLockedValue { $0 = .refused(response) }
        return channel.eventLoop.makeFailedFuture(Refused())
    }

    /// WSHandshake's refusal (400 with the reason, 426 with the version we speak) as
    /// Hummingbird's response.
    static func response(for error: HandshakeError) -> Response {
        let refusal = error.refusal
        return Response(status: refusal.status, headers: refusal.headerFields,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: error.refusalBody)))
    }
}
