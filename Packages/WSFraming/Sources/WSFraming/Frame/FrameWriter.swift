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
        let headerSize = header.encodedSize
        sink.append(count: headerSize &+ payload.count) { out in
            header.encode(into: out)
            guard payload.count > 0 else { return }
            let body = UnsafeMutableRawBufferPointer(rebasing: out[headerSize...])
            if let key = header.maskingKey {
                key.mask(from: payload, to: body)
            } else {
                body.copyMemory(from: payload)
            }
        }
    }

    /// Appends one frame with the payload `payload`.
    public static func write(_ header: FrameHeader, payload: [UInt8], into sink: inout some ByteSink) {
        payload.withUnsafeBytes { write(header, payload: $0, into: &sink) }
    }
}
