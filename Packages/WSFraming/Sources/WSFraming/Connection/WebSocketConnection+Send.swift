extension WebSocketConnection {
    /// Writes a text message into `sink`, in one frame or in fragments as configured.
    ///
    /// - Throws: ``FramingError`` (local) after this endpoint sent a Close or while a message
    ///   started with ``sendFragment(_:_:isFinal:applyingTransform:into:)-(_,[UInt8],_,_,_)``
    ///   is unfinished. Nothing is written then.
    public mutating func sendText(_ text: String, into sink: inout some ByteSink) throws(FramingError) {
        var text = text
        let result: Result<Void, FramingError> = text.withUTF8 { utf8 in
            do throws(FramingError) {
                return .success(try send(.text, payload: UnsafeRawBufferPointer(utf8), into: &sink))
            } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Writes a binary message into `sink`, in one frame or in fragments as configured.
    ///
    /// - Throws: ``FramingError`` (local) as ``sendText(_:into:)`` does.
    public mutating func sendBinary(_ bytes: [UInt8], into sink: inout some ByteSink) throws(FramingError) {
        try withTypedThrows(bytes) { (payload) throws(FramingError) in try send(.binary, payload: payload, into: &sink) }
    }

    /// Writes a message of `kind` with `payload` into `sink`: the negotiated transform encodes
    /// it, and it goes in one frame or in fragments as configured.
    ///
    /// - Parameters:
    ///   - kind: text or binary. A text payload must be valid UTF-8: it is sent as it is,
    ///     not checked.
    ///   - payload: the message's bytes.
    ///   - applyingTransform: `false` sends this message as it is, without the
    ///     negotiated transform: data already compressed need not be compressed again.
    ///   - sink: where the frames go.
    /// - Throws: ``FramingError`` (local) as ``sendText(_:into:)`` does.
    public mutating func send(
        _ kind: MessageKind, payload: UnsafeRawBufferPointer, applyingTransform: Bool = true, into sink: inout some ByteSink
    ) throws(FramingError) {
        try checkCanSendData()
        guard outboundFragmentKind == nil else {
            throw .local(.messageInProgress, "a message sent with sendFragment is unfinished; finish it before sending another")
        }
        if applyingTransform, let transform, transform.encodes(count: payload.count, kind: kind),
           let (encoded, bits) = try transform.encode(payload, kind: kind) {
            encoded.withUnsafeBytes { writeMessage(kind, $0, reservedBits: bits, into: &sink) }
        } else {
            writeMessage(kind, payload, reservedBits: [], into: &sink)
        }
    }

    /// Writes one fragment of a message whose parts the caller sends one by one (RFC 6455 §5.4).
    ///
    /// The first call starts a message of `kind`; later calls continue it (their `kind` is
    /// ignored) until one passes `isFinal: true`. Control frames may be sent in between, other
    /// messages not. The negotiated transform encodes each fragment as it goes (permessage-deflate
    /// compresses the message as one stream across its frames), unless the first fragment was
    /// sent with `applyingTransform: false`.
    ///
    /// - Throws: ``FramingError`` (local) after this endpoint sent a Close.
    public mutating func sendFragment(
        _ kind: MessageKind, _ payload: UnsafeRawBufferPointer, isFinal: Bool, applyingTransform: Bool = true,
        into sink: inout some ByteSink
    ) throws(FramingError) {
        try checkCanSendData()
        let isFirst = outboundFragmentKind == nil
        let messageKind = outboundFragmentKind ?? kind
        if isFirst { outboundFragmentTransformed = false }
        var encoded: (bytes: [UInt8], reservedBits: ReservedBits)?
        if let transform, isFirst ? applyingTransform : outboundFragmentTransformed {
            encoded = try transform.encodeFragment(payload, kind: messageKind, isFirst: isFirst, isFinal: isFinal)
            if isFirst { outboundFragmentTransformed = encoded != nil }
            if !isFirst, encoded == nil {
                throw .local(.messageInProgress, "the extension stopped encoding a message it had started")
            }
        }
        let opcode = isFirst ? kind.opcode : .continuation
        outboundFragmentKind = isFinal ? nil : messageKind
        if let encoded {
            let bits = isFirst ? encoded.reservedBits : []
            encoded.bytes.withUnsafeBytes { writeFrame(opcode, isFinal: isFinal, reservedBits: bits, payload: $0, into: &sink) }
        } else {
            writeFrame(opcode, isFinal: isFinal, payload: payload, into: &sink)
        }
    }

    /// Writes one fragment of a message whose parts the caller sends one by one.
    public mutating func sendFragment(
        _ kind: MessageKind, _ payload: [UInt8], isFinal: Bool, applyingTransform: Bool = true, into sink: inout some ByteSink
    ) throws(FramingError) {
        try withTypedThrows(payload) { (bytes) throws(FramingError) in
            try sendFragment(kind, bytes, isFinal: isFinal, applyingTransform: applyingTransform, into: &sink)
        }
    }

    /// Writes a Ping with `payload` (at most 125 bytes, RFC 6455 §5.5).
    ///
    /// - Throws: ``FramingError`` (local) for a longer payload, or after this endpoint sent a Close.
    public mutating func sendPing(_ payload: [UInt8] = [], into sink: inout some ByteSink) throws(FramingError) {
        try sendControl(.ping, payload, into: &sink)
    }

    /// Writes an unsolicited or manual Pong with `payload` (at most 125 bytes, RFC 6455 §5.5.3).
    ///
    /// - Throws: ``FramingError`` (local) for a longer payload, or after this endpoint sent a Close.
    public mutating func sendPong(_ payload: [UInt8] = [], into sink: inout some ByteSink) throws(FramingError) {
        try sendControl(.pong, payload, into: &sink)
    }

    /// Starts the close handshake: writes a Close frame and moves to ``State/closing``
    /// (RFC 6455 §7.1.2). The peer's Close then arrives as ``Event/close(_:)``.
    ///
    /// - Parameters:
    ///   - code: the status to send; `nil` sends an empty Close payload. Default 1000.
    ///   - reason: UTF-8, at most 123 bytes; only sent with a code.
    ///   - sink: where the Close frame goes.
    /// - Throws: ``FramingError`` (local) for a code that may not be sent (1005, 1006, 1015,
    ///   and every code that ``CloseCode/isValidOnWire`` refuses), a reason too long, or a
    ///   connection that already sent its Close.
    public mutating func sendClose(code: CloseCode? = .normalClosure, reason: String = "", into sink: inout some ByteSink) throws(FramingError) {
        if pendingFailure != nil {
            // A held-back failure wins: its Close is the one the peer must see.
            completeFailure(into: &sink)
            return
        }
        guard sentClose == nil, state != .closed else {
            throw .local(.connectionClosed, "the connection already sent its Close frame")
        }
        if let code, !code.isValidOnWire {
            throw .local(.unsendableCloseCode, "close code \(code.rawValue) may not be sent (RFC 6455 §7.4)")
        }
        guard reason.utf8.count <= CloseFrame.maxReasonLength else {
            throw .local(.closeReasonTooLong, "close reason is \(reason.utf8.count) bytes of UTF-8; at most 123 fit (RFC 6455 §5.5)")
        }
        let frame = CloseFrame(code: code, reason: code == nil ? "" : reason)
        writeFrame(.close, payload: frame.encoded, into: &sink)
        sentClose = frame
        state = .closing
    }

    // MARK: - Writing frames

    private func checkCanSendData() throws(FramingError) {
        guard state == .open else {
            throw .local(.connectionClosed, "cannot send data after the close handshake started")
        }
    }

    private mutating func sendControl(_ opcode: Opcode, _ payload: [UInt8], into sink: inout some ByteSink) throws(FramingError) {
        guard sentClose == nil, state != .closed else {
            throw .local(.connectionClosed, "cannot send a \(opcode) after the connection sent its Close")
        }
        guard payload.count <= 125 else {
            throw .local(.controlPayloadTooLarge, "\(opcode) payload is \(payload.count) bytes; at most 125 fit (RFC 6455 §5.5)")
        }
        writeFrame(opcode, payload: payload, into: &sink)
    }

    /// Writes a whole message, cut into frames as the configuration says.
    private mutating func writeMessage(
        _ kind: MessageKind, _ payload: UnsafeRawBufferPointer, reservedBits: ReservedBits, into sink: inout some ByteSink
    ) {
        guard isFragmented(payload.count), case .framesOfAtMost(let size) = configuration.fragmentation else {
            writeFrame(kind.opcode, reservedBits: reservedBits, payload: payload, into: &sink)
            return
        }
        var start = payload.startIndex
        var opcode = kind.opcode
        var bits = reservedBits
        while start < payload.endIndex {
            let end = min(start + size, payload.endIndex)
            writeFrame(opcode, isFinal: end == payload.endIndex, reservedBits: bits,
                       payload: UnsafeRawBufferPointer(rebasing: payload[start..<end]), into: &sink)
            opcode = .continuation
            bits = []  // RFC 7692 §6: only the first frame carries the extension's bit.
            start = end
        }
    }

    /// Writes one frame, masked with a fresh key when this is a client.
    mutating func writeFrame(
        _ opcode: Opcode, isFinal: Bool = true, reservedBits: ReservedBits = [],
        payload: UnsafeRawBufferPointer, into sink: inout some ByteSink
    ) {
        let key: MaskingKey? = role == .client ? maskingKeys.next() : nil
        let header = FrameHeader(isFinal: isFinal, reservedBits: reservedBits, opcode: opcode, maskingKey: key, payloadLength: payload.count)
        FrameWriter.write(header, payload: payload, into: &sink)
    }

    mutating func writeFrame(_ opcode: Opcode, payload: [UInt8], into sink: inout some ByteSink) {
        payload.withUnsafeBytes { writeFrame(opcode, payload: $0, into: &sink) }
    }
}
