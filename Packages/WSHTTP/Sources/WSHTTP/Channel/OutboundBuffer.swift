import NIOCore
import WSFraming

/// The frames waiting for the next write: a `ByteBuffer` into which WSFraming encodes frames
/// directly, in one pass. Between writes it holds no memory: the first frame takes a write
/// buffer of the event loop's (``EventLoopBuffers``), and the write hands it back.
struct OutboundBuffer: ByteSink {
    /// The event loop's buffers, which this connection's reads and writes use.
    let buffers: EventLoopBuffers
    /// What waits; empty, without memory, between writes.
    private(set) var bytes = ByteBuffer()

    init(buffers: EventLoopBuffers) { self.buffers = buffers }

    /// Appends `count` bytes written by `body` at the writer index.
    @inline(__always)
    mutating func append(count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: count) { buffer in
            body(UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]))
            return count
        }
    }

    /// Appends `raw`.
    mutating func write(_ raw: UnsafeRawBufferPointer) {
        reserve()
        bytes.writeBytes(raw)
    }

    /// `ByteBuffer.writeWithUnsafeMutableBytes`, into a write buffer of the loop's when nothing
    /// waits yet.
    @discardableResult @inline(__always)
    mutating func writeWithUnsafeMutableBytes(minimumWritableBytes: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        reserve()
        return bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: minimumWritableBytes, body)
    }

    /// What waits, to write; this is left empty, without memory.
    mutating func takeAll() -> ByteBuffer {
        defer { bytes = ByteBuffer() }
        return bytes
    }

    /// Hands an empty buffer back to the loop: one taken for a send that was refused, or at
    /// the end. Bytes still waiting are kept.
    mutating func release() {
        guard bytes.capacity > 0, bytes.readableBytes == 0 else { return }
        buffers.giveBack(written: takeAll())
    }

    @inline(__always)
    private mutating func reserve() {
        if bytes.capacity == 0 { bytes = buffers.takeWriteBuffer() }
    }
}
