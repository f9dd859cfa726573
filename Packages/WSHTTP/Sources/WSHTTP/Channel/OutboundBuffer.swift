import NIOCore
import WSFraming

/// The frames waiting for the next write: a `ByteBuffer` into which WSFraming encodes
/// frames directly, in one pass.
struct OutboundBuffer: ByteSink {
    var bytes: ByteBuffer

    /// Appends `count` bytes written by `body` at the writer index.
    mutating func append(count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { buffer in
            body(UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]))
            return count
        }
    }
}
