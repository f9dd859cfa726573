import NIOCore

/// A live WebSocket's receive allocator: every read into its event loop's read buffer
/// (``EventLoopBuffers``), not into one the channel keeps.
///
/// NIO keeps each channel's receive buffer between reads, grown to the largest read: 2 KiB
/// for an idle connection, 64 KiB for one that once read a large message, for the
/// connection's whole life. With this allocator and one read per cycle, `record` says each
/// time that the next read may need more, so NIO reads once more into the channel's own
/// buffer (the small one of the handshake, which it keeps) and then asks here for every read.
/// Only for a socket's channel whose handlers in front of the WebSocket hand its reads on or
/// back (none, or WSTLS's `TLSHandler`): a buffer kept by another handler would cost a new one
/// on every read.
struct EventLoopReadBuffer: RecvByteBufferAllocator, @unchecked Sendable {
    // Unchecked: `buffers` is its event loop's, and NIO calls a channel's allocator only on
    // the channel's event loop, which is that one.
    let buffers: EventLoopBuffers

    /// The loop's read buffer, or a new one.
    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer { buffers.takeReadBuffer(allocator) }

    /// Nil: no size to keep a channel's own buffer at.
    func nextBufferSize() -> Int? { nil }

    /// True: the next read may need more than the channel's own buffer, so NIO asks for one here.
    mutating func record(actualReadBytes: Int) -> Bool { true }

    /// Makes `channel` read into `buffers` from now on. Call it on the channel's event loop,
    /// whose buffers these are, after ``useForHandshake(on:)`` (every upgrade does), whose one
    /// read per cycle stays: each option set costs some 3,000 instructions. A channel that is
    /// not a socket's (NIO's test channels, an HTTP/2 stream) is left as it is.
    static func use(_ buffers: EventLoopBuffers, on channel: any Channel) {
        guard let options = options(of: channel) else { return }
        try? options.setOption(.recvAllocator, value: EventLoopReadBuffer(buffers: buffers))
    }

    /// What an opening handshake reads into, on either side: one small fixed buffer at a time.
    /// NIO keeps a channel's first read buffer for the channel's life (and with reads of any
    /// size grows it to the largest read: 64 KiB after a 64 KiB target), so this one is all
    /// that an idle WebSocket keeps of its reads. A request or answer longer than one read
    /// takes several.
    static let handshakeReadSize = 512

    /// Makes `channel` read its opening handshake into one buffer of ``handshakeReadSize``, one
    /// read per cycle, until ``use(_:on:)``.
    static func useForHandshake(on channel: any Channel) {
        guard let options = options(of: channel) else { return }
        try? options.setOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: handshakeReadSize))
        try? options.setOption(.maxMessagesPerRead, value: 1)
    }

    private static func options(of channel: any Channel) -> (any NIOSynchronousChannelOptions)? {
        // Other channels (NIO's test channels, HTTP/2 streams) stop the process on an option
        // they lack: only a socket's channel takes these.
        guard channel is any SocketOptionProvider else { return nil }
        return channel.syncOptions
    }
}
