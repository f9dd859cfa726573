import NIOCore
import Synchronization
import WSFraming

/// What a ``WebSocket`` reads from any thread while its handler runs on the event loop: the
/// outcome once closed, and the future that completes then.
final class WebSocketShared: Sendable {
    let eventLoop: any EventLoop
    let closedPromise: EventLoopPromise<CloseOutcome>
    private let state = Mutex<(closing: Bool, outcome: CloseOutcome?)>((false, nil))
    /// The keepalive's latest round trip in nanoseconds; -1 before the first.
    private let roundTrip = Atomic<Int64>(-1)

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.closedPromise = eventLoop.makePromise(of: CloseOutcome.self)
    }

    /// How the connection ended, once it has.
    var outcome: CloseOutcome? { state.withLock { $0.outcome } }
    var isClosed: Bool { outcome != nil }

    /// Where the connection is: open, closing (a Close was sent or asked for), or closed
    /// (the TCP connection is gone).
    var connectionState: WebSocketConnection.State {
        state.withLock { $0.outcome != nil ? .closed : $0.closing ? .closing : .open }
    }

    /// The keepalive's latest round-trip time.
    var keepAliveRoundTrip: Duration? {
        let nanoseconds = roundTrip.load(ordering: .relaxed)
        return nanoseconds < 0 ? nil : .nanoseconds(nanoseconds)
    }

    /// Records the keepalive's round-trip time.
    func recordRoundTrip(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        roundTrip.store(seconds * 1_000_000_000 + attoseconds / 1_000_000_000, ordering: .relaxed)
    }

    /// Records that the close handshake started.
    func markClosing() { state.withLock { $0.closing = true } }

    /// Records the end, once.
    func close(_ outcome: CloseOutcome) {
        let first = state.withLock { current -> Bool in
            guard current.outcome == nil else { return false }
            current.outcome = outcome
            return true
        }
        if first { closedPromise.succeed(outcome) }
    }
}
