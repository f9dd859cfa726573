import NIOPosix

/// Memory in which the frames that event-loop callbacks send during one read are gathered,
/// then copied into the connection's write buffer once, at the end of the read: no buffer
/// operation per message. One per event loop thread, lent to one connection at a time.
final class WriteScratch {
    /// Frames larger than what is left go straight to the write buffer.
    static let capacity = 4096

    // Each thread sees only its own value, so sharing the variable itself is safe.
    nonisolated(unsafe) private static let perThread = ThreadSpecificVariable<WriteScratch>()

    /// This thread's scratch.
    static var current: WriteScratch {
        if let scratch = perThread.currentValue { return scratch }
        let scratch = WriteScratch()
        perThread.currentValue = scratch
        return scratch
    }

    let base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    /// Bytes written and not yet copied out.
    var used = 0
    /// Whether a connection holds it, during its read.
    var isLent = false

    /// The free part.
    var free: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + used, count: Self.capacity &- used)
    }

    /// What was written.
    var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: used) }

    deinit { base.deallocate() }
}

@available(*, unavailable)
extension WriteScratch: Sendable {}

/// The replies of a read in which the scratch is lent: after the frames already gathered.
struct ScratchSink: ByteSink {
    unowned(unsafe) let handler: WebSocketHandler

    mutating func append(count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        if let scratch = handler.scratch, scratch.used &+ count <= WriteScratch.capacity {
            body(UnsafeMutableRawBufferPointer(start: scratch.base + scratch.used, count: count))
            scratch.used &+= count
        } else {
            handler.commitScratch()
            handler.outbound.append(count: count, body)
        }
    }
}
