import NIOCore
import WSFraming

/// The deadlines of one event loop's WebSocket connections (keepalive pings, idle and close
/// timeouts), in one min-heap behind one NIO timer, instead of a NIO timer per connection:
/// arming a connection's deadline is a heap insertion (no task, promise or closure made), and
/// an idle connection holds no timer of its own (one cost 224 bytes, and its scheduling and
/// cancelling 5% of a server's time under a flood of new connections).
///
/// Each connection has at most one entry, for its earliest deadline (``WebSocketHandler``'s
/// `armedDeadline`), and knows its place in the heap (`timerSlot`), so cancelling it is a
/// removal, not a tombstone: a closed connection leaves nothing behind. The NIO timer is set
/// for the heap's first deadline, and moved only when an earlier one arrives; when it fires,
/// every connection whose deadline it reached is told, in deadline order.
///
/// Confined to its event loop, like the ``EventLoopBuffers`` that own it (one per loop thread,
/// or one per connection on a loop of another kind).
final class EventLoopTimers {
    private var heap: [WebSocketHandler] = []
    /// The NIO timer, and the deadline it is set for.
    private var scheduled: (deadline: WebSocketSession.Instant, task: Scheduled<Void>)?

    /// Connections with a deadline armed (for tests).
    var count: Int { heap.count }
    /// The earliest deadline armed (for tests).
    var earliest: WebSocketSession.Instant? { heap.first?.armedDeadline }
    /// What the NIO timer is set for (for tests).
    var nextFire: WebSocketSession.Instant? { scheduled?.deadline }

    /// Sets `handler`'s deadline to `deadline`, earlier or later than the one it had.
    func arm(_ handler: WebSocketHandler, at deadline: WebSocketSession.Instant, on loop: any EventLoop) {
        if handler.timerSlot >= 0, let old = handler.armedDeadline {
            handler.armedDeadline = deadline
            if deadline < old { siftUp(handler.timerSlot) } else { siftDown(handler.timerSlot) }
        } else {
            handler.armedDeadline = deadline
            handler.timerSlot = heap.count
            heap.append(handler)
            siftUp(heap.count - 1)
        }
        schedule(on: loop)
    }

    /// Takes `handler`'s deadline out, if it has one. The NIO timer stays while deadlines are
    /// left (if it was for this one it finds nothing due when it fires, and moves on to the
    /// next); with none left it is cancelled: it holds these timers, and through them its
    /// loop, which a test's loop must not keep when its last connection has gone.
    func cancel(_ handler: WebSocketHandler) {
        guard handler.timerSlot >= 0 else { return }
        remove(at: handler.timerSlot)
        if heap.isEmpty, let scheduled {
            scheduled.task.cancel()
            self.scheduled = nil
        }
    }

    /// Sets the NIO timer for the first deadline, unless it is already set for that or earlier.
    private func schedule(on loop: any EventLoop) {
        guard let first = heap.first?.armedDeadline else { return }
        if let scheduled, scheduled.deadline <= first { return }
        scheduled?.task.cancel()
        let bound = NIOLoopBound(self, eventLoop: loop)
        scheduled = (first, loop.scheduleTask(deadline: NIODeadline(first)) { bound.value.fire(at: first, on: loop) })
    }

    /// The NIO timer set for `deadline` fired: every connection whose deadline is at or before
    /// it (by the loop's clock, which fired it) or before now is due. They leave the heap
    /// first and are told after, so that one that arms again at once (its next ping) is not
    /// told twice in one turn.
    private func fire(at deadline: WebSocketSession.Instant, on loop: any EventLoop) {
        scheduled = nil
        let due = max(deadline, .now)
        var fired: [WebSocketHandler] = []
        while let first = heap.first, let armed = first.armedDeadline, armed <= due {
            remove(at: 0)
            fired.append(first)
        }
        for handler in fired { handler.timerFired() }
        schedule(on: loop)
    }

    private func remove(at slot: Int) {
        let removed = heap[slot]
        let last = heap.removeLast()
        if slot < heap.count {
            heap[slot] = last
            last.timerSlot = slot
            siftDown(slot)
            siftUp(last.timerSlot)
        }
        removed.timerSlot = -1
        removed.armedDeadline = nil
    }

    private func deadline(_ slot: Int) -> WebSocketSession.Instant { heap[slot].armedDeadline! }

    private func siftUp(_ start: Int) {
        var slot = start
        while slot > 0 {
            let parent = (slot - 1) / 2
            guard deadline(slot) < deadline(parent) else { break }
            swapAt(slot, parent)
            slot = parent
        }
    }

    private func siftDown(_ start: Int) {
        var slot = start
        while true {
            let left = 2 * slot + 1, right = left + 1
            var smallest = slot
            if left < heap.count, deadline(left) < deadline(smallest) { smallest = left }
            if right < heap.count, deadline(right) < deadline(smallest) { smallest = right }
            guard smallest != slot else { return }
            swapAt(slot, smallest)
            slot = smallest
        }
    }

    private func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        heap[a].timerSlot = a
        heap[b].timerSlot = b
    }
}

@available(*, unavailable)
extension EventLoopTimers: Sendable {}
