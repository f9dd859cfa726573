import NIOCore
import Synchronization

/// The messages received and not yet consumed: filled by the connection's handler on its
/// event loop, drained by one consumer task (``WebSocket/receive()``). A message that waits
/// is taken with one lock and no suspension; a consumer suspends only when the queue is
/// empty. When more than `highWatermark` messages wait, the handler stops reading the
/// socket until the consumer has taken the queue down to `lowWatermark`.
final class InboundQueue: Sendable {
    /// What a consumer's wait ends with.
    enum Next: Sendable {
        /// The next message.
        case message(WebSocketMessage)
        /// The connection has ended and every message was taken.
        case end
        /// The waiting task was cancelled.
        case cancelled
        /// Another task is waiting already: one consumer at a time.
        case busy
    }

    private struct State: ~Copyable {
        var messages: [WebSocketMessage] = []
        /// The index of the first message not yet taken.
        var head = 0
        var waiter: UnsafeContinuation<Next, Never>?
        var isFinished = false
        /// Whether the handler stopped reading because the queue is full.
        var producerPaused = false
        /// Whether the handler waits for the consumer to be idle (a held violation).
        var notifyWhenIdle = false

        var count: Int { messages.count - head }

        mutating func takeFirst() -> WebSocketMessage {
            let message = messages[head]
            head += 1
            if head == messages.count {
                messages.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64, head * 2 >= messages.count {
                messages.removeFirst(head)
                head = 0
            }
            return message
        }
    }

    private let state = Mutex(State())
    private let lowWatermark: Int
    private let highWatermark: Int
    private let handler: NIOLoopBound<WebSocketHandler>

    init(highWatermark: Int, handler: NIOLoopBound<WebSocketHandler>) {
        self.highWatermark = max(1, highWatermark)
        self.lowWatermark = self.highWatermark / 2
        self.handler = handler
    }

    // MARK: - Producer, on the event loop

    /// Adds a message, or hands it to the waiting consumer.
    ///
    /// - Returns: `false` when the consumer is behind and reading should stop; the queue
    ///   calls ``WebSocketHandler/resume()`` once it has caught up.
    func push(_ message: WebSocketMessage) -> Bool {
        let (waiter, keepReading) = state.withLock { state -> (UnsafeContinuation<Next, Never>?, Bool) in
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, true)
            }
            state.messages.append(message)
            if state.count >= highWatermark {
                state.producerPaused = true
                return (nil, false)
            }
            return (nil, true)
        }
        waiter?.resume(returning: .message(message))
        return keepReading
    }

    /// Whether the queue will call ``WebSocketHandler/completeFailure()`` (on the event loop)
    /// once the consumer has taken every message and waits for more: `true` while it is still
    /// busy; `false` when it waits already, so that the caller completes the failure now.
    func notifiesWhenConsumerIdle() -> Bool {
        state.withLock { state in
            if state.waiter != nil, state.count == 0 { return false }
            state.notifyWhenIdle = true
            return true
        }
    }

    /// Ends the sequence: the consumer gets the messages that wait, then `nil`.
    func finish() {
        let waiter = state.withLock { state -> UnsafeContinuation<Next, Never>? in
            state.isFinished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: .end)
    }

    // MARK: - Consumer, on any task

    /// The next message, the end, or why there is none: the waiting task was cancelled, or
    /// another task waits already.
    func next() async -> Next {
        if let ready = take(orWaitWith: nil) { return ready }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Next, Never>) in
                if let ready = take(orWaitWith: continuation) { continuation.resume(returning: ready) }
                // Otherwise the producer resumes it.
            }
        } onCancel: {
            let waiter = state.withLock { state -> UnsafeContinuation<Next, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: .cancelled)
        }
    }

    /// Takes a message that waits, or the end; otherwise leaves `waiter` (if any) to be
    /// resumed by the producer and returns `nil`. Wakes the producer when the queue has
    /// drained to the low watermark.
    private func take(orWaitWith waiter: UnsafeContinuation<Next, Never>?) -> Next? {
        var consumerIdle = false
        let (ready, resumeProducer) = state.withLock { state -> (Next?, Bool) in
            guard state.waiter == nil else { return (.busy, false) }
            guard state.count > 0 else {
                if state.isFinished { return (.end, false) }
                if Task.isCancelled { return (.cancelled, false) }
                state.waiter = waiter
                if waiter != nil, state.notifyWhenIdle {
                    state.notifyWhenIdle = false
                    consumerIdle = true
                }
                return (nil, false)
            }
            let message = state.takeFirst()
            let resume = state.producerPaused && state.count <= lowWatermark
            if resume { state.producerPaused = false }
            return (.message(message), resume)
        }
        if resumeProducer {
            let handler = self.handler
            handler.eventLoop.execute { handler.value.resume() }
        }
        if consumerIdle {
            let handler = self.handler
            handler.eventLoop.execute { handler.value.completeFailure() }
        }
        return ready
    }
}
