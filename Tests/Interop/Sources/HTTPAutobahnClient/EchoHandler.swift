import WSHTTP

/// Echoes every message on the event loop, as it arrives: text as text, binary as binary,
/// straight from the lent bytes (`--mode eventloop`).
///
/// Pings, pongs and the close handshake are the library's (automatic pongs, Close echoed),
/// not this handler's.
final class EchoHandler: WebSocketEventLoopHandler {
    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
        webSocket.send(message)
    }
}

/// Bound to its connection's event loop.
@available(*, unavailable)
extension EchoHandler: Sendable {}
