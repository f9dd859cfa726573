public import WSFraming

/// Per-message callbacks that run on the connection's event loop: the fast path, with no
/// task switch per message (a server that must go at the speed of the socket, such as an
/// echo or a relay).
///
/// Everything a callback sends through the ``WebSocket/OnLoop`` it is given goes out in one
/// write at the end of the read that delivered the message. Never block in a callback.
public protocol WebSocketEventLoopHandler: AnyObject {
    /// A whole message arrived.
    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocketMessage)
    /// The connection ended; `outcome` says how.
    func webSocketDidClose(_ webSocket: WebSocket.OnLoop, outcome: CloseOutcome)
}

extension WebSocketEventLoopHandler {
    /// Does nothing.
    public func webSocketDidClose(_ webSocket: WebSocket.OnLoop, outcome: CloseOutcome) {}
}

extension WebSocket {
    /// The connection as seen from its own event loop, inside ``WebSocketEventLoopHandler``
    /// callbacks: sends are synchronous and batched with the current read's writes.
    public struct OnLoop {
        let handler: WebSocketHandler

        init(_ handler: WebSocketHandler) { self.handler = handler }

        /// Sends a message. A send after the close handshake started is dropped.
        public func send(_ message: WebSocketMessage) {
            _ = handler.send(message)
        }

        /// Starts the close handshake with `code` and `reason`.
        public func close(code: CloseCode = .normalClosure, reason: String = "") {
            handler.startClose(code: code, reason: reason, timeout: handler.configuration.closeTimeout)
        }

        /// Where the connection is in its life.
        public var state: WebSocketConnection.State { handler.connection.state }
    }
}

@available(*, unavailable)
extension WebSocket.OnLoop: Sendable {}
