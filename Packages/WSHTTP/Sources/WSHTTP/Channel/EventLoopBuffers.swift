public import NIOCore
import NIOPosix
import WSFraming

/// The buffers that the live WebSockets of one event loop read into, write from and unmask
/// into, instead of buffers that each connection keeps: one read buffer, lent to one read at a
/// time, a few write buffers, each taken by a connection while it has frames to send, and one
/// unmask buffer. An idle connection holds none of them.
///
/// - A read's buffer comes from here (``EventLoopReadBuffer``, the channel's receive
///   allocator) and is handed back (``giveBack(read:)``) once the read is decoded, when no one
///   else holds it; the next read on the loop, of any connection, takes it again. A read whose
///   buffer is not handed back (a close in the middle of a read) gets a new one.
/// - A connection's first frame after a write takes a write buffer (``takeWriteBuffer()``);
///   a write that the socket takes at once (the usual case) lets go of it before
///   `writeAndFlush` returns, and it comes back here (``giveBack(written:)``). A write still
///   pending (the peer reads slowly) keeps its buffer until it is written. The loop keeps
///   write buffers of at most ``maxRetainedWriteCapacity`` bytes each, ``maxWriteSpareBytes``
///   in all, so a connection that once sent a large message leaves no memory behind, and many
///   connections sending from tasks in one turn of the loop (each holds a buffer until its
///   flush) find theirs.
/// - The masked messages that connections lend to event-loop callbacks are unmasked into one
///   ``unmask`` buffer (WSFraming's `UnmaskBuffer`): a lent message is valid only during its
///   callback, and the loop decodes one connection at a time.
///
/// A steady server allocates nothing per message. Shared by the connections of an event loop
/// that runs on one thread of its own (a `MultiThreadedEventLoopGroup`'s): ``of(_:)`` gives
/// that thread's; a connection on any other loop (NIO's test loops, a loop on a dispatch
/// queue) gets buffers of its own, without an unmask buffer. The handlers and the receive
/// allocator keep a reference, so that no thread-local lookup is made per read.
@_spi(WSInternal) public final class EventLoopBuffers {
    /// The most one read takes: NIO's own largest receive buffer.
    public static let readCapacity = 64 << 10
    /// The most memory kept in write buffers.
    static let maxWriteSpareBytes = 1 << 20
    /// The largest write buffer kept.
    static let maxRetainedWriteCapacity = 256 << 10
    /// The size of a new write buffer: frames beyond it grow it.
    static let initialWriteCapacity = 1024

    /// Whether these are the buffers of an event loop's thread, shared by its connections.
    /// The loop's connections' deadlines, behind one NIO timer (or, on a loop of another kind,
    /// this connection's own).
    let timers = EventLoopTimers()
    let isShared: Bool
    /// Where lent messages are unmasked, for every connection of the loop; nil when not shared.
    let unmask: UnmaskBuffer?
    var readSpare: ByteBuffer?
    var writeSpares: [ByteBuffer] = []
    /// The capacity of `writeSpares`, in all.
    var writeSpareBytes = 0

    private init(shared: Bool) {
        isShared = shared
        unmask = shared ? UnmaskBuffer() : nil
    }

    // Each thread sees only its own value, so sharing the variable itself is safe.
    nonisolated(unsafe) private static let perThread = ThreadSpecificVariable<EventLoopBuffers>()

    /// This thread's buffers: call it on an event loop of a `MultiThreadedEventLoopGroup`.
    public static var current: EventLoopBuffers {
        if let buffers = perThread.currentValue { return buffers }
        let buffers = EventLoopBuffers(shared: true)
        perThread.currentValue = buffers
        return buffers
    }

    /// The buffers for a connection on `loop`, called on it: the thread's, when `loop` is the
    /// thread's own (a `MultiThreadedEventLoopGroup`'s loop); else new ones, the connection's.
    public static func of(_ loop: any EventLoop) -> EventLoopBuffers {
        MultiThreadedEventLoopGroup.currentEventLoop === loop ? current : EventLoopBuffers(shared: false)
    }

    /// The read buffer, or a new one when it is lent out.
    func takeReadBuffer(_ allocator: ByteBufferAllocator) -> ByteBuffer {
        readSpare.take() ?? allocator.buffer(capacity: Self.readCapacity)
    }

    /// Takes `read` back as the read buffer if it is one, no one else holds it, and the loop
    /// has none; otherwise lets it go. Call it once the read is decoded (at
    /// `channelReadComplete`, when NIO has let go of it).
    public func giveBack(read buffer: consuming ByteBuffer) {
        guard buffer.capacity == Self.readCapacity, readSpare == nil, buffer.modifyIfUniquelyOwned({ $0.clear() }) != nil else { return }
        readSpare = buffer
    }

    /// A write buffer of the loop's, or a new one.
    func takeWriteBuffer() -> ByteBuffer {
        guard let buffer = writeSpares.popLast() else { return ByteBufferAllocator().buffer(capacity: Self.initialWriteCapacity) }
        writeSpareBytes &-= buffer.capacity
        return buffer
    }

    /// Keeps `written` as a write buffer if no one else holds it (the socket took it all), it
    /// is not too large and there is room; otherwise lets it go. Call it right after the write.
    func giveBack(written buffer: consuming ByteBuffer) {
        let capacity = buffer.capacity
        guard capacity > 0, capacity <= Self.maxRetainedWriteCapacity, writeSpareBytes &+ capacity <= Self.maxWriteSpareBytes,
              buffer.modifyIfUniquelyOwned({ $0.clear() }) != nil
        else { return }
        writeSpareBytes &+= capacity
        writeSpares.append(buffer)
    }
}

@available(*, unavailable)
extension EventLoopBuffers: Sendable {}
