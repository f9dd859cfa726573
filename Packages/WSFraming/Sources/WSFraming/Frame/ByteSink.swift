/// Where the connection writes the bytes it produces: frames to send.
///
/// `[UInt8]` conforms; an I/O layer makes its own buffer type conform (SwiftNIO's
/// `ByteBuffer` does, in WSHTTP) so that frames are encoded straight into the outbound buffer.
public protocol ByteSink {
    /// Appends exactly `count` bytes, all of which `body` initializes.
    mutating func append(count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void)
}

extension Array: ByteSink where Element == UInt8 {
    /// Appends `count` bytes written by `body`.
    public mutating func append(count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        let start = self.count
        append(contentsOf: repeatElement(0, count: count))
        withUnsafeMutableBytes { body(UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }
}
