/// Writes whole frames, header and (masked) payload, into a ``ByteSink`` in one pass.
///
/// This is the frame layer's encoder: it applies no protocol rule beyond the encoding. The
/// connection (``WebSocketConnection``) decides what may be sent.
public enum FrameWriter {
    /// Appends one frame to `sink`: the header, then the payload, masked with the header's
    /// key while it is copied when the header has one.
    ///
    /// - Parameters:
    ///   - header: the frame's header; its `payloadLength` must equal `payload.count`.
    ///   - payload: the payload, unmasked.
    ///   - sink: where the frame goes, in one `append`.
    public static func write(
        _ header: FrameHeader, payload: UnsafeRawBufferPointer, into sink: inout some ByteSink
    ) {
        precondition(header.payloadLength == payload.count, "header length differs from the payload's")
        sink.append(count: header.encodedSize &+ payload.count) { out in
            _ = write(header, payload: payload, into: out)
        }
    }

    /// Writes one frame at the start of `destination`: the header, then the payload, masked
    /// with the header's key while it is copied when the header has one.
    ///
    /// - Parameters:
    ///   - header: the frame's header; its `payloadLength` must equal `payload.count`.
    ///   - payload: the payload, unmasked.
    ///   - destination: at least `header.encodedSize + payload.count` bytes (a precondition).
    /// - Returns: the number of bytes written.
    public static func write(
        _ header: FrameHeader, payload: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(header.payloadLength == payload.count, "header length differs from the payload's")
        let headerSize = header.encode(into: destination)
        precondition(destination.count &- headerSize >= payload.count, "destination too small for the frame")
        guard payload.count > 0, let base = destination.baseAddress else { return headerSize }
        let body = UnsafeMutableRawBufferPointer(start: base + headerSize, count: payload.count)
        if let key = header.maskingKey {
            key.mask(from: payload, to: body)
        } else {
            body.copyMemory(from: payload)
        }
        return headerSize &+ payload.count
    }

    /// Appends one frame with the payload `payload`.
    public static func write(_ header: FrameHeader, payload: [UInt8], into sink: inout some ByteSink) {
        payload.withUnsafeBytes { write(header, payload: $0, into: &sink) }
    }
}
