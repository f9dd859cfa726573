import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import Tracing
import WSFraming
import WSHandshake
import WSLogging

/// Serves one HTTP/1.1 connection until it upgrades: answers plain requests one at a time,
/// and turns a valid, accepted upgrade into a live ``WebSocket``. It holds no protocol rule:
/// the checks are ``WebSocketUpgradeRequest``'s.
final class WebSocketServerUpgradeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Waiting for a request head.
        case idle
        /// Reading a request's body.
        case reading(HTTPRequestHead, body: [UInt8], tooLarge: Bool)
        /// Answering a request (or deciding on an upgrade): later parts wait in `queued`.
        case answering
        /// Upgraded, or closing: nothing more to do.
        case done
    }

    private let tls: WebSocketTLS?
    private let configuration: WebSocket.Configuration
    private let maxRequestBodySize: Int
    private let logger: Logger
    private let handlers: WebSocketServerHandlers
    private let encoder: HTTPResponseEncoder
    private let decoder: ByteToMessageHandler<HTTPRequestDecoder>
    private var state = State.idle
    /// Where requests and refusals are counted; nil when nothing is recorded.
    private let instruments: MetricsInstruments?
    /// The request being answered: its method, whether it asks for a WebSocket, when its head came.
    private var request: (method: String, isUpgrade: Bool, start: NIODeadline)?
    /// The span of an upgrade being decided, begun at its request.
    private var span: (any Span)?
    /// The context of the span of the WebSocket just made, for its handler's task.
    private var webSocketSpanContext: ServiceContext?
    private var queued: [HTTPServerRequestPart] = []
    private var readWithheld = false

    init(tls: WebSocketTLS? = nil, configuration: WebSocket.Configuration, maxRequestBodySize: Int, logger: Logger, handlers: WebSocketServerHandlers,
         encoder: HTTPResponseEncoder, decoder: ByteToMessageHandler<HTTPRequestDecoder>) {
        self.tls = tls
        self.configuration = configuration
        self.maxRequestBodySize = maxRequestBodySize
        self.logger = logger
        self.handlers = handlers
        self.encoder = encoder
        self.decoder = decoder
        instruments = configuration.metrics.resolved
    }

    func handlerAdded(context: ChannelHandlerContext) {
        EventLoopReadBuffer.useForHandshake(on: context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch state {
        case .answering:
            queued.append(part)
        case .done:
            break
        case .idle, .reading:
            handle(part, context: context)
        }
    }

    /// A request NIO's parser refuses (malformed, or a head over 80 KiB) gets a status that
    /// says why, and the connection closes; other errors, or one behind a request still being
    /// answered, close it. A connection that closed inside a request gets nothing, and a
    /// debug line.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tls, tls.isTLSFailure(error) {
            // The TLS handler has sent its alert and closes the channel: nothing to answer in HTTP.
            logger.debug("TLS failed", metadata: [WSLogKey.reason: "\(error)",
                                                  WSLogKey.remote: "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"])
            instruments?.tlsFailed(.server, cause: tls.failureCause(error))
            state = .done
            context.close(promise: nil)
            return
        }
        switch state {
        case .answering, .done:
            state = .done
            context.close(promise: nil)
        case .idle, .reading:
            guard context.channel.isActive else {
                // The connection ended inside a request (the peer went, or the server dropped a
                // pending connection): nobody to answer, and a peer should not fill the log at notice.
                logger.debug("connection closed inside a request", metadata: [
                    WSLogKey.reason: "\(error)", WSLogKey.remote: "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")",
                ])
                state = .done
                return
            }
            let status: HTTPResponse.Status = (error as? HTTPParserError) == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
            logger.notice("bad request", metadata: [WSLogKey.status: "\(status.code)", WSLogKey.reason: "\(error)",
                                                    WSLogKey.remote: "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"])
            state = .answering
            // Unparsed: it counts as a connection refused, whatever it asked for.
            request = (method: "_OTHER", isUpgrade: true, start: request?.start ?? .now())
            respond(HTTPResponse(status: status, headerFields: [.contentType: "text/plain; charset=utf-8"]),
                    body: Array("the request could not be parsed as HTTP/1.1: \(error)\n".utf8), close: true, context: context)
        }
    }

    /// While a request is being answered, no more is read from the socket: a slow handler
    /// cannot make the connection buffer without bound.
    func read(context: ChannelHandlerContext) {
        if case .answering = state { readWithheld = true } else { context.read() }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (state, part) {
        case (.idle, .head(let head)):
            state = .reading(head, body: [], tooLarge: false)
            if instruments != nil { request = (method: head.method.rawValue, isUpgrade: false, start: .now()) }
        case (.reading(let head, var body, let tooLarge), .body(var chunk)):
            let fits = !tooLarge && body.count + chunk.readableBytes <= maxRequestBodySize
            if fits { body += chunk.readBytes(length: chunk.readableBytes) ?? [] }
            state = .reading(head, body: fits ? body : [], tooLarge: !fits)
        case (.reading(let head, let body, let tooLarge), .end):
            state = .answering
            if tooLarge {
                respond(HTTPResponse(status: .contentTooLarge, headerFields: [.contentType: "text/plain; charset=utf-8", .connection: "close"]),
                        body: Array("request body larger than \(maxRequestBodySize) bytes\n".utf8), close: true, context: context)
            } else {
                let request = HTTPConversion.request(head)
                // Asking for a WebSocket is enough to get the upgrade's checks: a POST, an
                // HTTP/1.0 request or a bad key gets its 405, 400 or 426, not the HTTP handler.
                if request.requestsWebSocketUpgrade {
                    self.request?.isUpgrade = true
                    upgrade(request, version: head.version, context: context)
                } else {
                    // NIO's parser stops after a request that asks to switch protocols (h2c),
                    // switched or not: a plain answer to one closes the connection.
                    answer(request, keepAlive: head.isKeepAlive && !Self.stopsParser(head), body: body, context: context)
                }
            }
        default:
            // A body or end without a head cannot come from NIO's decoder; close rather than guess.
            state = .done
            context.close(promise: nil)
        }
    }

    // MARK: - Plain HTTP

    /// Whether NIO's parser (llhttp) reads no more requests after `head`: an `Upgrade` with
    /// `Connection: upgrade`, or CONNECT.
    private static func stopsParser(_ head: HTTPRequestHead) -> Bool {
        head.method == .CONNECT
            || (head.headers.contains(name: "upgrade") && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" })
    }

    private func answer(_ request: HTTPRequest, keepAlive: Bool, body: [UInt8], context: ChannelHandlerContext) {
        let http = handlers.http
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        Task {
            let (response, responseBody) = await http(request, body)
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                handler.respond(response, body: responseBody, close: !keepAlive, context: context)
            }
        }
    }

    private func respond(_ response: HTTPResponse, body: [UInt8], close: Bool, context: ChannelHandlerContext) {
        recordAnswer(response.status.code)
        if let span {
            self.span = nil
            span.attributes["http.response.status_code"] = response.status.code
            if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
            span.end()
        }
        var response = response
        response.headerFields[.contentLength] = String(body.count)
        if close { response.headerFields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPConversion.head(response))), promise: nil)
        if !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            state = .done
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in bound.value.close(promise: nil) }
            return
        }
        state = .idle
        let waiting = queued
        queued = []
        for part in waiting {
            if case .answering = state { queued.append(part) } else { handle(part, context: context) }
        }
        if readWithheld, case .idle = state {
            readWithheld = false
            context.read()
        }
    }

    /// Counts the request being answered.
    private func recordAnswer(_ status: Int) {
        guard let instruments, let request else { return }
        self.request = nil
        instruments.answered(method: request.method, status: status, isUpgrade: request.isUpgrade,
                             after: .nanoseconds(Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds &- request.start.uptimeNanoseconds)))
    }

    // MARK: - Upgrade

    private func upgrade(_ request: HTTPRequest, version: HTTPVersion, context: ChannelHandlerContext) {
        span = Self.startSpan(for: request, tracing: configuration.tracing, channel: context.channel, secure: tls != nil)
        let upgrade: WebSocketUpgradeRequest
        do throws(HandshakeError) {
            upgrade = try WebSocketUpgradeRequest(validating: request, httpVersion: (Int(version.major), Int(version.minor)))
        } catch {
            logger.notice("upgrade refused", metadata: [WSLogKey.status: "\(error.refusal.status.code)", WSLogKey.reason: "\(error.message)",
                                                        WSLogKey.remote: "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"])
            respond(error.refusal, body: error.refusalBody, close: true, context: context)
            return
        }
        if let decision = handlers.shouldUpgradeOnLoop?(upgrade) {
            return finish(upgrade, decision, context: context)
        }
        guard let decide = handlers.shouldUpgrade else { return finish(upgrade, .accept(), context: context) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        Task {
            let decision = await decide(upgrade)
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                handler.finish(upgrade, decision, context: context)
            }
        }
    }

    private func finish(_ upgrade: WebSocketUpgradeRequest, _ decision: WebSocketUpgradeDecision, context: ChannelHandlerContext) {
        switch decision {
        case .refuse(let response, let body):
            logger.notice("upgrade refused", metadata: [WSLogKey.status: "\(response.status.code)", WSLogKey.target: "\(upgrade.target)"])
            respond(response, body: body, close: true, context: context)
        case .accept(let subprotocol, let fields):
            let agreement = WebSocketServerAgreement(upgrade, subprotocol: subprotocol, headerFields: fields, configuration: configuration)
            // The 101 goes out as bytes, past NIO's encoder, which leaves first: nothing else
            // would go through it, and encoding a head there cost 12,000 instructions.
            context.pipeline.syncOperations.removeHandler(encoder, promise: nil)
            context.writeAndFlush(NIOAny(HTTPConversion.bytes(of: agreement.response, allocator: context.channel.allocator)), promise: nil)
            recordAnswer(101)
            state = .done
            do {
                let webSocket = try becomeWebSocket(agreement, context: context)
                logger.debug("upgrade accepted", metadata: [WSLogKey.target: "\(upgrade.target)", WSLogKey.subprotocol: "\(agreement.subprotocol ?? "")"])
                handlers.upgradedOnLoop?(webSocket)
                let closesAfter = { if case .async = self.handlers.consumer { true } else { false } }()
                guard let upgraded = handlers.upgraded else {
                    // Nothing would read an async consumer's messages.
                    if closesAfter { Task(executorPreference: webSocket.taskExecutor) { _ = await webSocket.close() } }
                    webSocketSpanContext = nil
                    return
                }
                // The handler's own spans are the connection's children.
                let spanContext = webSocketSpanContext
                Task(executorPreference: handlers.runsOnEventLoop ? webSocket.taskExecutor : nil) {
                    if let spanContext {
                        await ServiceContext.withValue(spanContext) { await upgraded(webSocket) }
                    } else {
                        await upgraded(webSocket)
                    }
                    if closesAfter { await webSocket.close() }
                }
            } catch {
                logger.debug("upgrade failed", metadata: [WSLogKey.reason: "\(error)"])
                context.close(promise: nil)
            }
            webSocketSpanContext = nil
        }
    }

    /// Puts the live connection in place of the HTTP handlers, keeping the bytes that
    /// followed the request.
    private func becomeWebSocket(_ agreement: WebSocketServerAgreement, context: ChannelHandlerContext) throws -> WebSocket {
        let channel = context.channel
        var handshake = agreement.handshake
        handshake.remoteAddress = channel.remoteAddress
        handshake.localAddress = channel.localAddress
        handshake.tls = tls?.connectionInfo(context.pipeline.syncOperations)
        let span = self.span
        self.span = nil
        if let span {
            span.attributes["http.response.status_code"] = 101
            if let subprotocol = agreement.subprotocol { span.attributes["websocket.subprotocol"] = subprotocol }
            span.attributes["websocket.deflate"] = agreement.handshake.deflate != nil
            span.addEvent("upgraded")
            webSocketSpanContext = span.context
        }
        let webSocket = try WebSocket.replaceHTTPHandlers(
            of: context, encoder: nil, decoder: decoder, role: .server, configuration: configuration,
            handshake: handshake, consumer: handlers.consumer, logger: logger, span: span, tls: tls)
        // A read withheld while the upgrade was decided is the live connection's to issue.
        if readWithheld {
            readWithheld = false
            channel.read()
        }
        return webSocket
    }
}

@available(*, unavailable)
extension WebSocketServerUpgradeHandler: Sendable {}

extension WebSocketServerUpgradeHandler {
    /// The span of a server's WebSocket, begun at its upgrade request, a child of the trace
    /// context the request carries; nil when tracing is off.
    static func startSpan(for request: HTTPRequest, tracing: WebSocketTracing, channel: any Channel, secure: Bool) -> (any Span)? {
        guard let tracer = tracing.tracer else { return nil }
        var parent = ServiceContext.topLevel
        tracer.extract(request.headerFields, into: &parent, using: HTTPFieldsExtractor())
        let span = tracer.startSpan("WebSocket", context: parent, ofKind: .server)
        span.attributes["http.request.method"] = request.method.rawValue
        span.attributes["url.scheme"] = secure ? "wss" : "ws"
        if let path = request.path { span.attributes["url.path"] = String(path.prefix { $0 != "?" }) }
        if let remote = channel.remoteAddress?.ipAddress { span.attributes["client.address"] = remote }
        return span
    }
}
