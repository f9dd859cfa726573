import WSHTTP

/// Echoes every message on the event loop, as it arrives: text as text, binary as binary,
/// straight from the lent bytes, with no copy of its own.
///
/// The reply joins the other writes of the read that delivered the message, so a read of
/// many messages goes back in one write. Pings, pongs and the close handshake are the
/// library's (automatic pongs, Close echoed), not this handler's.
final class EchoHandler: WebSocketEventLoopHandler {
    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
        webSocket.send(message)
    }
}

/// Bound to its connection's event loop.
@available(*, unavailable)
extension EchoHandler: Sendable {}
