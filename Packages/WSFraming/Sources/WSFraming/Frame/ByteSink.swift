/// Where the connection writes the bytes it produces: frames to send.
///
/// `[UInt8]` conforms; an I/O layer makes its own buffer type conform (SwiftNIO's
/// `ByteBuffer` does, in WSHTTP) so that frames are encoded straight into the outbound buffer.
public protocol ByteSink {
    /// Appends exactly `count` bytes, all of which `body` initializes.
    mutating func append(count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void)
}

/// A `[UInt8]` is a sink: frames are appended to it, the simplest buffer to write from.
extension Array: ByteSink where Element == UInt8 {
    /// Appends `count` bytes written by `body`: written into a temporary buffer (on the
    /// stack when small), then appended with one copy.
    public mutating func append(count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        withUnsafeTemporaryAllocation(byteCount: count, alignment: 8) { buffer in
            body(buffer)
            append(contentsOf: UnsafeRawBufferPointer(buffer))
        }
    }
}
