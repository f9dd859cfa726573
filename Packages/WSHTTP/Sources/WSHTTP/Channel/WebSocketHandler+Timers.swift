import Logging
import NIOCore
import WSFraming
import WSLogging

extension WebSocketHandler {
    /// Carries out what the session decided. Inside a read, writes and closes wait for the
    /// read's end (an upgrade's HTTP decoder may still be leaving, and would take them).
    func apply(_ actions: WebSocketSession.Actions) {
        if let deadline = actions.deadline { arm(deadline) }
        if actions.reading == .active, readWithheld, let context {
            readWithheld = false
            context.read()
        }
        if let transport = actions.transport {
            closeTransport(transport)
        } else if actions.write {
            scheduleFlush()
        }
    }

    /// Makes sure the timer fires no later than `deadline`: a later deadline is replaced, an
    /// earlier one kept (when it fires, the session answers the next deadline).
    func arm(_ deadline: WebSocketSession.Instant) {
        guard let context else { return }
        if let armedDeadline, armedDeadline <= deadline { return }
        outbound.buffers.timers.arm(self, at: deadline, on: context.eventLoop)
    }

    /// The armed deadline came (``EventLoopTimers`` has taken it out).
    func timerFired() {
        guard context != nil else { return }
        commitScratch()
        let actions = session.timerFired(at: .now, into: &outbound)
        if actions.transport == .closeNow {
            logger.debug("closing the TCP connection", metadata: [WSLogKey.reason: "deadline passed"])
        }
        apply(actions)
    }

    func cancelTimer() {
        outbound.buffers.timers.cancel(self)
    }

    /// Closes the TCP connection: after what is queued has been written (the session's
    /// deadline bounds that wait), or at once, dropping it. Inside a read the close waits for
    /// the read's end.
    func closeTransport(_ transport: WebSocketSession.Actions.Transport) {
        guard let context else { return }
        switch transport {
        case .closeNow:
            transportAfterReadCycle = nil
            context.close(promise: nil)
        case .closeAfterWrites where inReadCycle:
            if transportAfterReadCycle != .closeNow { transportAfterReadCycle = .closeAfterWrites }
        case .closeAfterWrites:
            // The promise of the last write completes once every earlier write has: an empty
            // write when nothing is left here waits for those still in the channel.
            let written = context.eventLoop.makePromise(of: Void.self)
            commitScratch()
            if outbound.bytes.readableBytes > 0 {
                flush(promise: written)
            } else {
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: written)
            }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}

extension WebSocketSession.Instant {
    /// Now, on NIO's clock (the uptime in nanoseconds), which its timers use too.
    static var now: Self { .init(nanoseconds: Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds)) }
}

extension NIODeadline {
    /// The NIO deadline of a session's instant.
    init(_ instant: WebSocketSession.Instant) {
        self = .uptimeNanoseconds(UInt64(max(0, instant.nanoseconds)))
    }
}
