import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import Tracing
import WSFraming
import WSHandshake
import WSLogging

/// Sends a client's upgrade request and turns the connection into a live ``WebSocket`` once
/// ``WebSocketClientHandshake`` accepts the server's 101. The checks are the handshake's.
final class WebSocketClientUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// The largest body of a refusal that is kept for the caller.
    static let maxRefusalBody = 64 << 10

    private let handshake: WebSocketClientHandshake
    private let tls: WebSocketTLS?
    /// The permessage-deflate offers made, to check an answer against.
    private let deflateOffers: [DeflateNegotiation.ClientOffer]
    private let configuration: WebSocket.Configuration
    private let consumer: WebSocket.Consumer
    private let logger: Logger
    private let encoder: HTTPRequestEncoder
    private let decoder: ByteToMessageHandler<HTTPResponseDecoder>
    private let promise: EventLoopPromise<WebSocket>
    /// The connection's span, begun with the request; the WebSocket's once it opens.
    private let span: (any Span)?
    private var refusal: (response: HTTPResponse, error: HandshakeError, body: [UInt8])?
    /// The accepted 101, upgraded at its `.end`: the decoder delivers that before it stops.
    private var accepted: WebSocketClientHandshake.Negotiated?
    private var requestSent = false
    private var done = false

    init(handshake: WebSocketClientHandshake, tls: WebSocketTLS?, deflateOffers: [DeflateNegotiation.ClientOffer], configuration: WebSocket.Configuration,
         consumer: WebSocket.Consumer, logger: Logger, encoder: HTTPRequestEncoder, decoder: ByteToMessageHandler<HTTPResponseDecoder>,
         promise: EventLoopPromise<WebSocket>, span: (any Span)? = nil) {
        self.span = span
        self.handshake = handshake
        self.tls = tls
        self.deflateOffers = deflateOffers
        self.configuration = configuration
        self.consumer = consumer
        self.logger = logger
        self.encoder = encoder
        self.decoder = decoder
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        EventLoopReadBuffer.useForHandshake(on: context.channel)
        if context.channel.isActive { sendRequest(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context: context)
        context.fireChannelActive()
    }

    private func sendRequest(context: ChannelHandlerContext) {
        guard !requestSent else { return }
        requestSent = true
        context.write(wrapOutboundOut(.head(HTTPConversion.head(handshake.request))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            let response = HTTPConversion.response(head)
            do throws(HandshakeError) {
                accepted = try handshake.validate(response)
            } catch {
                guard error.code == .upgradeRefused else { return fail(.handshake(error), context: context) }
                refusal = (response, error, [])  // read the body, then fail
            }
        case .body(var chunk):
            if var refused = refusal {
                let room = max(0, Self.maxRefusalBody - refused.body.count)
                refused.body += chunk.readBytes(length: min(room, chunk.readableBytes)) ?? []
                refusal = refused
            }
        case .end:
            if let refused = refusal {
                fail(.handshake(refused.error, body: refused.body), context: context)
            } else if let accepted {
                upgrade(accepted, context: context)
            }
        }
    }

    /// Removed before the handshake ended: the channel closed around the moment this handler
    /// was added (its channelInactive had already gone by), so nothing else would answer.
    func handlerRemoved(context: ChannelHandlerContext) {
        fail(WebSocketError(.handshakeFailed, "the connection closed before the opening handshake"), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let refused = refusal {
            fail(.handshake(refused.error, body: refused.body), context: context)
        } else {
            fail(WebSocketError(.handshakeFailed, "the connection closed during the opening handshake"), context: context)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tls, tls.isTLSFailure(error) {
            configuration.metrics.resolved?.tlsFailed(.client, cause: tls.failureCause(error))
            fail(WebSocketError(.tlsFailed, "\(error)", tlsFailure: error), context: context)
            return
        }
        fail(WebSocketError(.handshakeFailed, "the opening handshake failed: \(error)"), context: context)
    }

    private func fail(_ error: WebSocketError, context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        logger.debug("upgrade failed", metadata: [WSLogKey.reason: "\(error.message)"])
        span?.fail(error)
        promise.fail(error)
        context.close(promise: nil)
    }

    /// Puts the live connection in place of the HTTP handlers, keeping the bytes that
    /// followed the 101.
    private func upgrade(_ negotiated: WebSocketClientHandshake.Negotiated, context: ChannelHandlerContext) {
        let deflate: DeflateSettings?
        do throws(DeflateNegotiation.Failure) {
            deflate = try DeflateNegotiation.validate(negotiated.extensions, offered: deflateOffers)
        } catch {
            // RFC 7692 §5: a client that cannot accept the server's answer fails the connection.
            return fail(WebSocketError(.handshakeFailed, "the server's permessage-deflate answer is not acceptable: \(error.message)"),
                        context: context)
        }
        done = true
        let channel = context.channel
        let handshakeFacts = WebSocket.Handshake(
            target: handshake.request.path ?? "/", requestFields: handshake.request.headerFields,
            responseFields: negotiated.response.headerFields, subprotocol: negotiated.subprotocol,
            extensions: negotiated.response.headerFields[.secWebSocketExtensions], deflate: deflate,
            remoteAddress: channel.remoteAddress, localAddress: channel.localAddress,
            tls: tls?.connectionInfo(context.pipeline.syncOperations))
        if let span {
            span.attributes["http.response.status_code"] = 101
            if let subprotocol = negotiated.subprotocol { span.attributes["websocket.subprotocol"] = subprotocol }
            span.attributes["websocket.deflate"] = deflate != nil
            span.addEvent("upgraded")
        }
        do {
            let webSocket = try WebSocket.replaceHTTPHandlers(
                of: context, encoder: encoder, decoder: decoder, role: .client, configuration: configuration,
                handshake: handshakeFacts, consumer: consumer, logger: logger, span: span, tls: tls)
            logger.debug("upgraded", metadata: [WSLogKey.target: "\(handshakeFacts.target)", WSLogKey.subprotocol: "\(negotiated.subprotocol ?? "")"])
            promise.succeed(webSocket)
        } catch {
            promise.fail(WebSocketError(.handshakeFailed, "could not install the connection: \(error)"))
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension WebSocketClientUpgradeHandler: Sendable {}

extension WebSocketClientUpgradeHandler {
    /// The span of a client's WebSocket, begun as its request is made, whose context the
    /// request carries (`traceparent`, or whatever the tracer propagates); nil when tracing is off.
    static func startSpan(for handshake: inout WebSocketClientHandshake, tracing: WebSocketTracing, secure: Bool) -> (any Span)? {
        guard let tracer = tracing.tracer else { return nil }
        let span = tracer.startSpan("WebSocket", context: ServiceContext.current ?? .topLevel, ofKind: .client)
        span.attributes["http.request.method"] = "GET"
        span.attributes["url.scheme"] = secure ? "wss" : "ws"
        span.attributes["url.path"] = String((handshake.request.path ?? "/").prefix { $0 != "?" })
        span.attributes["server.address"] = handshake.host
        var fields = HTTPFields()
        tracer.inject(span.context, into: &fields, using: HTTPFieldsInjector())
        for field in fields { handshake = handshake.settingField(field.name, to: field.value) }
        return span
    }
}

extension Span {
    /// Ends a span whose handshake failed, with the failure as its status.
    func fail(_ error: WebSocketError) {
        if let response = error.response { attributes["http.response.status_code"] = response.status.code }
        attributes["error.type"] = "\(error.code)"
        setStatus(SpanStatus(code: .error, message: error.message))
        end()
    }
}
