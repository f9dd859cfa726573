import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import Vapor
import WSHTTP

/// Vapor's upgrade step for a WebSocket route: Vapor writes the 101 with the fields the
/// agreement made (and any that middleware added), removes its HTTP handlers, and this library's
/// `WebSocket` adopts the channel and runs the route's handler.
struct WebSocketAdoptingUpgrader: Upgrader {
    let agreement: WebSocketServerAgreement
    let configuration: WebSocketUpgradeConfiguration
    let logger: Logger
    let runner: Runner

    /// Who runs an accepted connection.
    enum Runner: Sendable {
        /// A task runs the handler; the connection closes with 1000 when it returns, 1011 when it throws.
        case task(@Sendable (WSHTTP.WebSocket) async throws -> Void)
        /// The connection's event loop calls a handler made for it: no task per connection.
        case eventLoop(@Sendable (WSHTTP.WebSocket.Handshake) -> any WebSocketEventLoopHandler)
    }

    func applyUpgrade(req: Request, res: Response) -> any HTTPServerProtocolUpgrader {
        ProtocolUpgrader(upgrader: self, middlewareHeaders: res.headers)
    }

    /// SwiftNIO's (untyped) upgrader protocol, as Vapor's upgrade handler calls it.
    struct ProtocolUpgrader: HTTPServerProtocolUpgrader, Sendable {
        let upgrader: WebSocketAdoptingUpgrader
        let middlewareHeaders: HTTPHeaders
        let supportedProtocol = "websocket"
        let requiredUpgradeHeaders: [String] = []

        func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead,
                                  initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
            var headers = initialResponseHeaders
            for (name, value) in middlewareHeaders where !Self.isHandshakeField(name) {
                headers.add(name: name, value: value)
            }
            for field in upgrader.agreement.response.headerFields {
                headers.replaceOrAdd(name: field.name.rawName, value: field.value)
            }
            return channel.eventLoop.makeSucceededFuture(headers)
        }

        func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
            let upgrader = self.upgrader
            return context.eventLoop.makeCompletedFuture {
                let consumer: WSHTTP.WebSocket.Consumer = if case .eventLoop(let make) = upgrader.runner { .eventLoop(make) } else { .async }
                let webSocket = try upgrader.agreement.adopt(context.channel, configuration: upgrader.configuration.webSocket,
                                                             consumer: consumer, logger: upgrader.logger)
                upgrader.logger.debug("upgrade accepted", metadata: ["ws.target": "\(upgrader.agreement.upgrade.target)",
                                                                     "ws.subprotocol": "\(upgrader.agreement.subprotocol ?? "")"])
                guard case .task(let run) = upgrader.runner else { return }
                Task(executorPreference: upgrader.configuration.runsOnEventLoop ? webSocket.taskExecutor : nil) {
                    await upgrader.serve(webSocket, run)
                }
            }
        }

        /// Fields the agreement answers: middleware's copies (a CORS middleware's, say) are
        /// left out.
        private static func isHandshakeField(_ name: String) -> Bool {
            ["upgrade", "connection", "content-length", "sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions"]
                .contains(name.lowercased())
        }
    }

    /// Runs the route's handler; closes with 1000 when it returns and 1011 when it throws.
    func serve(_ webSocket: WSHTTP.WebSocket, _ run: @Sendable (WSHTTP.WebSocket) async throws -> Void) async {
        do {
            try await run(webSocket)
            await webSocket.close()
        } catch {
            logger.notice("WebSocket handler threw", metadata: ["ws.reason": "\(error)"])
            await webSocket.close(code: .internalError, reason: "handler failed")
        }
    }
}
