import NIOCore

extension WebSocket {
    /// Runs `body` on the connection's event loop with the connection as seen from there: the
    /// way into the fast path for a `WebSocket` that a task holds, as a broadcast group or a
    /// pub/sub topic needs to keep its members where its sends run (``WebSocketGroup`` is
    /// built on this and the other public members of ``WebSocket/OnLoop``).
    ///
    /// ```swift
    /// webSocket.onEventLoop { member in
    ///     topic.subscribe(member)                       // into a table only this loop touches
    ///     member.whenClosed { _ in topic.unsubscribe(member.id) }
    /// }
    /// ```
    ///
    /// `body` never runs before this returns, even when called on the event loop: it is
    /// queued there (`EventLoop.execute`), after what the loop already has to do. It runs
    /// whatever the connection's state by then; a connection that has begun to close says so
    /// in ``WebSocket/OnLoop/state``. The ``WebSocket/OnLoop`` must not leave the event loop.
    ///
    /// - Parameter body: what to do with the connection on its event loop.
    public func onEventLoop(_ body: @escaping @Sendable (OnLoop) -> Void) {
        let handler = self.handler
        handler.eventLoop.execute { body(OnLoop(handler.value)) }
    }
}
