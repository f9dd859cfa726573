import Logging
import WSFraming
import WSLogging

extension WebSocket {
    /// Runs a server's handler on this connection, then ends the connection: with 1000 when
    /// `handler` returns, with 1011 (internal error) when it throws, the error logged at notice.
    /// What a route runs for each connection (WSHummingbird's and WSVapor's `onUpgrade`).
    public func serve(_ handler: (WebSocket) async throws -> Void) async {
        do {
            try await handler(self)
            await close()
        } catch {
            logger.notice("WebSocket handler threw", metadata: [WSLogKey.reason: "\(error)"])
            await close(code: .internalError, reason: "handler failed")
        }
    }
}
