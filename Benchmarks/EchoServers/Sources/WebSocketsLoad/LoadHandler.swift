import WSHTTP

/// One connection of the load: on the event loop, checks each echo against the message it
/// sent (the same order, since the server echoes in order), counts it, and sends the next, so
/// that `depth` messages stay in flight.
///
/// The run starts with one message sent from outside (its sequence number is 0); its echo
/// makes the handler fill the window to `depth`, so every message after the first goes out
/// from here, in the order of its sequence number. A mismatch closes the connection (1002):
/// the stream can no longer be checked.
final class LoadHandler: WebSocketEventLoopHandler {
    private let tally: LoadTally
    /// The sequence number of the next message sent.
    private var nextSent: UInt64 = 1
    /// The sequence number the next echo must carry.
    private var nextEchoed: UInt64 = 0

    init(tally: LoadTally) {
        self.tally = tally
    }

    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
        let intact = message.kind == .binary && message.withUnsafeBytes { tally.matches($0, sequence: nextEchoed) }
        guard intact else {
            tally.mismatches &+= 1
            webSocket.close(code: .protocolError, reason: "echo mismatch")
            return
        }
        nextEchoed &+= 1
        tally.echoed &+= 1
        while nextSent &- nextEchoed < UInt64(tally.depth) {
            guard webSocket.send(.binary, bytes: tally.stamped(nextSent)) else { return }
            nextSent &+= 1
            tally.sent &+= 1
        }
    }

    func webSocketDidClose(_ webSocket: WebSocket.OnLoop, outcome: CloseOutcome) {
        tally.closes &+= 1
    }
}

/// Bound to its connection's event loop.
@available(*, unavailable)
extension LoadHandler: Sendable {}
