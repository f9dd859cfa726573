import NIOCore
import Synchronization
import WSFraming

/// What a ``WebSocket`` reads from any thread while its handler runs on the event loop: the
/// outcome once closed, and the future that completes then.
final class WebSocketShared: Sendable {
    let eventLoop: any EventLoop
    let closedPromise: EventLoopPromise<CloseOutcome>
    private let state = Mutex<CloseOutcome?>(nil)

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.closedPromise = eventLoop.makePromise(of: CloseOutcome.self)
    }

    /// How the connection ended, once it has.
    var outcome: CloseOutcome? { state.withLock { $0 } }
    var isClosed: Bool { outcome != nil }

    /// Records the end, once.
    func close(_ outcome: CloseOutcome) {
        let first = state.withLock { current -> Bool in
            guard current == nil else { return false }
            current = outcome
            return true
        }
        if first { closedPromise.succeed(outcome) }
    }
}
