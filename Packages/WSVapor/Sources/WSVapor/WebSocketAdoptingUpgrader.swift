import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import Vapor
import WSHTTP
import WSHandshake

/// Vapor's upgrade step for a WebSocket route: the agreement is made once middleware has
/// answered (its fields, a `Set-Cookie` say, go on the 101 as WSHTTP's pipeline puts a
/// handler's), Vapor writes the 101 and removes its HTTP handlers, and this library's
/// `WebSocket` adopts the channel and runs the route's handler.
struct WebSocketAdoptingUpgrader: Upgrader {
    let upgrade: WebSocketUpgradeRequest
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
        let agreement = WebSocketServerAgreement(upgrade, subprotocols: configuration.subprotocols, headerFields: HTTPFields(res.headers),
                                                 configuration: configuration.webSocket)
        return ProtocolUpgrader(upgrader: self, agreement: agreement)
    }

    /// SwiftNIO's (untyped) upgrader protocol, as Vapor's upgrade handler calls it.
    struct ProtocolUpgrader: HTTPServerProtocolUpgrader, Sendable {
        let upgrader: WebSocketAdoptingUpgrader
        let agreement: WebSocketServerAgreement
        let supportedProtocol = "websocket"
        let requiredUpgradeHeaders: [String] = []

        /// The agreement's 101 fields: Vapor writes them in place of the response's own.
        func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead,
                                  initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
            channel.eventLoop.makeSucceededFuture(HTTPHeaders(agreement.response.headerFields))
        }

        func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
            let upgrader = self.upgrader
            let agreement = self.agreement
            return context.eventLoop.makeCompletedFuture {
                let consumer: WSHTTP.WebSocket.Consumer = if case .eventLoop(let make) = upgrader.runner { .eventLoop(make) } else { .async }
                let webSocket = try agreement.adopt(context.channel, configuration: upgrader.configuration.webSocket,
                                            consumer: consumer, logger: upgrader.logger)
                upgrader.logger.debug("upgrade accepted", metadata: ["ws.target": "\(agreement.upgrade.target)",
                                                                     "ws.subprotocol": "\(agreement.subprotocol ?? "")"])
                guard case .task(let run) = upgrader.runner else { return }
                Task(executorPreference: upgrader.configuration.runsOnEventLoop ? webSocket.taskExecutor : nil) {
                    await webSocket.serve(run)
                }
            }
        }
    }
}
