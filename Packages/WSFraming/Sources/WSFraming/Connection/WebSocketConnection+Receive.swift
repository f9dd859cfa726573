extension WebSocketConnection {
    /// Consumes bytes from the front of `input` until one event is complete.
    ///
    /// Call it in a loop while it returns events; `nil` means every byte of `input` was
    /// consumed (a partial frame is held inside). Stopping between calls leaves the rest of
    /// `input` unread, for backpressure. After the connection is closed, input is ignored.
    ///
    /// - Parameters:
    ///   - input: received bytes; advanced past what was consumed.
    ///   - replies: where automatic Pongs, the Close reply and a failing Close frame go.
    /// - Returns: the next event, or `nil` when `input` is used up.
    /// - Throws: ``FramingError`` when the peer broke the protocol: the Close frame with its
    ///   code is already in `replies` and ``state`` is ``State/closed``.
    public mutating func nextEvent(
        from input: inout UnsafeRawBufferPointer, replies: inout some ByteSink
    ) throws(FramingError) -> Event? {
        // The work is done by non-generic code, fast from any module; replies pass through
        // `replyBuffer`, which is empty unless a control frame or a failure wrote one.
        let event: Event?
        do throws(FramingError) {
            switch try readEvent(&input, borrowing: false) {
            case .owned(let owned): event = owned
            case .borrowed, nil: event = nil  // never without `borrowing`
            }
        } catch {
            failAndFlush(error, input: &input, replies: &replies)
            throw error
        }
        if !replyBuffer.isEmpty { flushReplies(into: &replies) }
        return event
    }

    /// Fails the connection for `error`: the rest of `input` is dropped and the Close goes
    /// to `replies`.
    mutating func failAndFlush(_ error: FramingError, input: inout UnsafeRawBufferPointer, replies: inout some ByteSink) {
        fail(error)
        input = input.emptyEnd
        flushReplies(into: &replies)
    }

    mutating func flushReplies(into replies: inout some ByteSink) {
        guard !replyBuffer.isEmpty else { return }
        replyBuffer.withUnsafeBytes { bytes in
            replies.append(count: bytes.count) { $0.copyMemory(from: bytes) }
        }
        replyBuffer.removeAll(keepingCapacity: true)
    }

    /// Consumes all of `bytes` and returns the events they complete.
    ///
    /// - Throws: ``FramingError`` as ``nextEvent(from:replies:)`` does; events before the
    ///   violation are lost, so use ``nextEvent(from:replies:)`` where they matter.
    public mutating func receive(_ bytes: [UInt8], replies: inout some ByteSink) throws(FramingError) -> [Event] {
        var events: [Event] = []
        try withTypedThrows(bytes) { (buffer) throws(FramingError) in
            var input = buffer
            while let event = try nextEvent(from: &input, replies: &replies) { events.append(event) }
        }
        return events
    }

    /// Reports that the peer closed the TCP connection (or it broke).
    ///
    /// - Returns: how the connection ended: the close handshake's outcome if it completed
    ///   (clean), the failure's if the connection was failed, otherwise 1006, not clean
    ///   (RFC 6455 §7.1.5).
    /// - Parameter reason: why this side ended the connection without the peer's Close (a
    ///   keepalive or close timeout), kept as the reason of a 1006 outcome.
    public mutating func receiveEndOfInput(reason: String = "") -> CloseOutcome {
        if state == .closed, let outcome { return outcome }
        if let failure = pendingFailure {
            // The peer left before the failing Close went out: the failure is the outcome.
            pendingFailure = nil
            let outcome = CloseOutcome(code: failure.closeCode ?? .protocolError, reason: Self.truncatedReason(failure.message), wasClean: false)
            close(with: outcome)
            return outcome
        }
        let outcome = CloseOutcome(code: .abnormalClosure, reason: reason, wasClean: false)
        close(with: outcome)
        return outcome
    }

    // MARK: - Frames

    /// What `readEvent` decoded: an event, or a whole message left in the input.
    enum Decoded {
        case owned(Event)
        /// A whole message's payload, unmasked (and validated) in place in the input.
        case borrowed(MessageKind, UnsafeRawBufferPointer)
    }

    /// Reads the next event. With `borrowing`, a whole single-frame message of at most
    /// ``maxBorrowedPayloadSize`` bytes that is all in `input` is handed out borrowed:
    /// from `input` itself when it is not masked, else unmasked into `borrowedPayload`.
    mutating func readEvent(_ input: inout UnsafeRawBufferPointer, borrowing: Bool) throws(FramingError) -> Decoded? {
        while state != .closed, pendingFailure == nil {
            if frame == nil {
                guard let header = try takeHeader(&input) else { return nil }
                if let decoded = try begin(header, &input, borrowing: borrowing) { return decoded }
            }
            if let event = try readPayload(&input) { return .owned(event) }
            if frame != nil { return nil }
        }
        input = input.emptyEnd
        return nil
    }

    /// Takes a whole header from `input`, gathering one that is split across calls.
    @inline(__always)
    private mutating func takeHeader(_ input: inout UnsafeRawBufferPointer) throws(FramingError) -> FrameHeader? {
        if pendingHeader.isEmpty {
            if let (header, size) = try FrameHeader.decode(input) {
                input = input.dropping(size)
                return header
            }
            // Fewer bytes than the header needs (at most 13): keep them.
            pendingHeader.append(contentsOf: input)
            input = input.emptyEnd
            return nil
        }
        while true {
            if let (header, _) = try FrameHeader.parse(pendingHeader) {
                pendingHeader.removeAll(keepingCapacity: true)
                return header
            }
            guard let byte = input.first else { return nil }
            pendingHeader.append(byte)
            input = input.dropping(1)
        }
    }

    /// Checks a header against the connection's rules and starts reading its payload; for a
    /// small whole message already in `input`, returns it at once.
    @inline(__always)
    private mutating func begin(_ header: FrameHeader, _ input: inout UnsafeRawBufferPointer, borrowing: Bool) throws(FramingError) -> Decoded? {
        switch role {
        case .server where header.maskingKey == nil:
            throw .protocolError(.maskRequired, "client sent an unmasked frame (RFC 6455 §5.1)")
        case .client where header.maskingKey != nil:
            throw .protocolError(.maskForbidden, "server sent a masked frame (RFC 6455 §5.1)")
        case .server, .client:
            break
        }
        let length = header.payloadLength
        let kind: MessageKind
        switch header.opcode {
        case .close, .ping, .pong:
            guard header.reservedBits.isEmpty else { throw Self.reservedBitsError(header) }
            controlPayload.removeAll(keepingCapacity: true)
            frame = InboundFrame(opcode: header.opcode, isFinal: true, maskingKey: header.maskingKey, remaining: length)
            return nil
        case .continuation:
            guard message.kind != nil else {
                throw .protocolError(.unexpectedContinuation, "continuation frame with no message in progress (RFC 6455 §5.4)")
            }
            guard header.reservedBits.isEmpty else { throw Self.reservedBitsError(header) }
            try checkFrameSize(length, transformed: message.isTransformed)
            message.frames += 1
            guard message.frames <= configuration.maxFramesPerMessage else {
                throw .remote(.tooManyFrames, .messageTooBig,
                              "message in more than \(configuration.maxFramesPerMessage) frames exceeds the limit")
            }
            frame = InboundFrame(opcode: .continuation, isFinal: header.isFinal, maskingKey: header.maskingKey, remaining: length)
            return nil
        case .text:
            kind = .text
        case .binary:
            kind = .binary
        }
        guard message.kind == nil else {
            throw .protocolError(.expectedContinuation, "new \(kind) message while a fragmented message is in progress (RFC 6455 §5.4)")
        }
        guard header.reservedBits.isSubset(of: transformBits) else { throw Self.reservedBitsError(header) }
        let transformed = !header.reservedBits.isEmpty
        try checkFrameSize(length, transformed: transformed)

        // The fast path: a whole, plain message already in the input, decoded in one pass.
        if header.isFinal, !transformed, state == .open, configuration.delivery == .whole, input.count >= length {
            let payload = input.leading(length)
            input = input.dropping(length)
            guard borrowing, length <= Self.maxBorrowedPayloadSize else {
                return .owned(try wholeMessage(kind, payload, key: header.maskingKey))
            }
            let borrowed = unmaskedForBorrowing(payload, key: header.maskingKey)
            guard kind == .binary || UTF8Validator.isValid(borrowed) else { throw Self.invalidUTF8() }
            return .borrowed(kind, borrowed)
        }
        message.kind = kind
        message.isTransformed = transformed
        message.isDiscarded = state != .open
        if configuration.delivery == .whole, !transformed, !message.isDiscarded {
            // Room for the frame at once rather than growth by doubling as it arrives; capped,
            // so that a header alone never makes the connection hold much memory.
            message.bytes.reserveCapacity(min(length, Self.maxBorrowedPayloadSize))
        }
        frame = InboundFrame(opcode: header.opcode, isFinal: header.isFinal, maskingKey: header.maskingKey, remaining: length)
        return nil
    }

    private static func reservedBitsError(_ header: FrameHeader) -> FramingError {
        .protocolError(.reservedBitsSet, "\(header.opcode) frame sets reserved bits 0x\(String(header.reservedBits.rawValue, radix: 16)) that no negotiated extension claims (RFC 6455 §5.2)")
    }

    @inline(__always)
    private func checkFrameSize(_ length: Int, transformed: Bool) throws(FramingError) {
        guard length <= configuration.maxFrameSize else {
            throw .remote(.frameTooLarge, .messageTooBig, "frame of \(length) bytes exceeds the limit of \(configuration.maxFrameSize)")
        }
        // A transformed message's size is known only once decoded; see `accept`.
        guard transformed || message.size + length <= configuration.maxMessageSize else {
            throw Self.messageTooLarge(message.size + length, configuration.maxMessageSize)
        }
    }

    private static func messageTooLarge(_ size: Int, _ limit: Int) -> FramingError {
        .remote(.messageTooLarge, .messageTooBig, "message of at least \(size) bytes exceeds the limit of \(limit)")
    }

    private static func invalidUTF8() -> FramingError {
        .remote(.invalidUTF8, .invalidPayloadData, "text message is not valid UTF-8 (RFC 6455 §8.1)")
    }

    /// Decodes a whole single-frame message that is all in the input, unmasked straight
    /// into its storage.
    @inline(__always)
    private mutating func wholeMessage(_ kind: MessageKind, _ payload: UnsafeRawBufferPointer, key: MaskingKey?) throws(FramingError) -> Event {
        switch kind {
        case .text:
            guard !payload.isEmpty else { return .text("") }
            var valid = false
            let text = String(unsafeUninitializedCapacity: payload.count) { buffer in
                let out = UnsafeMutableRawBufferPointer(buffer)
                if let key { key.mask(from: payload, to: out) } else { out.copyMemory(from: payload) }
                valid = UTF8Validator.isValid(UnsafeRawBufferPointer(out))
                return valid ? out.count : 0
            }
            guard valid else { throw Self.invalidUTF8() }
            return .text(text)
        case .binary:
            // Copying then unmasking in place is faster here than the generic
            // Array(unsafeUninitializedCapacity:), and the copy is in the cache.
            var bytes = [UInt8](payload)
            if let key { key.mask(&bytes) }
            return .binary(bytes)
        }
    }

    // MARK: - Payloads

    /// Reads what `input` holds of the current frame's payload; returns an event when that
    /// completes one.
    private mutating func readPayload(_ input: inout UnsafeRawBufferPointer) throws(FramingError) -> Event? {
        guard var current = frame else { return nil }
        let count = min(current.remaining, input.count)
        let chunk = input.leading(count)
        input = input.dropping(count)
        let position = current.position
        current.position += count
        current.remaining -= count
        frame = current.remaining == 0 ? nil : current

        if current.opcode.isControl {
            Self.appendUnmasked(chunk, key: current.maskingKey, offset: position, to: &controlPayload)
            guard current.remaining == 0 else { return nil }
            return try control(current.opcode)
        }
        let endsMessage = current.remaining == 0 && current.isFinal
        if !message.isDiscarded {
            if message.isTransformed, let transform {
                scratch.removeAll(keepingCapacity: true)
                Self.appendUnmasked(chunk, key: current.maskingKey, offset: position, to: &scratch)
                let encoded = scratch
                var overflow: FramingError?
                try withTypedThrows(encoded) { (bytes) throws(FramingError) in
                    try transform.decode(bytes, isFinal: endsMessage) { decoded in
                        do throws(FramingError) {
                            try accept(decoded)
                            return true
                        } catch {
                            overflow = error
                            return false
                        }
                    }
                }
                if let overflow { throw overflow }
            } else {
                let start = message.bytes.count
                Self.appendUnmasked(chunk, key: current.maskingKey, offset: position, to: &message.bytes)
                message.size += count
                if message.kind == .text {
                    let valid = message.bytes.withUnsafeBytes { message.utf8.validate(UnsafeRawBufferPointer(rebasing: $0[start...])) }
                    guard valid else { throw Self.invalidUTF8() }
                }
            }
        }
        return try finishPiece(endsMessage: endsMessage)
    }

    /// Takes decoded bytes of the current message, checking its size and UTF-8.
    private mutating func accept(_ decoded: UnsafeRawBufferPointer) throws(FramingError) {
        guard message.size + decoded.count <= configuration.maxMessageSize else {
            throw Self.messageTooLarge(message.size + decoded.count, configuration.maxMessageSize)
        }
        message.size += decoded.count
        if message.kind == .text, !message.utf8.validate(decoded) { throw Self.invalidUTF8() }
        message.bytes.append(contentsOf: decoded)
    }

    /// Hands out what the message has gathered, if the delivery mode says so now.
    private mutating func finishPiece(endsMessage: Bool) throws(FramingError) -> Event? {
        guard let kind = message.kind else { return nil }
        if endsMessage, kind == .text, !message.isDiscarded, !message.utf8.isComplete { throw Self.invalidUTF8() }
        if message.isDiscarded {
            if endsMessage { message = InboundMessage() }
            return nil
        }
        switch configuration.delivery {
        case .whole:
            guard endsMessage else { return nil }
            let bytes = message.bytes
            message = InboundMessage()
            return kind == .text ? .text(String(decoding: bytes, as: UTF8.self)) : .binary(bytes)
        case .streaming:
            guard endsMessage || !message.bytes.isEmpty else { return nil }
            let piece = MessageFragment(kind: kind, bytes: message.bytes, isFirst: !message.deliveredFirst, isFinal: endsMessage)
            if endsMessage {
                message = InboundMessage()
            } else {
                message.bytes = []
                message.deliveredFirst = true
            }
            return .fragment(piece)
        }
    }

    private static func appendUnmasked(_ chunk: UnsafeRawBufferPointer, key: MaskingKey?, offset: Int, to bytes: inout [UInt8]) {
        guard !chunk.isEmpty else { return }
        bytes.append(count: chunk.count) { out in
            if let key { key.mask(from: chunk, to: out, offset: offset) } else { out.copyMemory(from: chunk) }
        }
    }

    // MARK: - Control frames

    private mutating func control(_ opcode: Opcode) throws(FramingError) -> Event? {
        let payload = controlPayload
        switch opcode {
        case .ping:
            if configuration.pongPolicy == .automatic {
                writeReply(.pong, payload: payload)
            }
            return .ping(payload)
        case .pong:
            return .pong(payload)
        case .close:
            let frame = try CloseFrame(decoding: payload)
            receivedClose = frame
            if state == .open {
                // Echo the peer's code (RFC 6455 §5.5.1), with no reason.
                let reply = CloseFrame(code: frame.code)
                writeReply(.close, payload: reply.encoded)
                sentClose = reply
            }
            close(with: CloseOutcome(code: frame.code ?? .noStatusReceived, reason: frame.reason, wasClean: true))
            return .close(frame)
        case .continuation, .text, .binary:
            return nil
        }
    }

    // MARK: - Failing and closing

    /// Fails the connection (RFC 6455 §7.1.7): sends a Close frame with the error's code
    /// unless one was sent already, and moves to `closed`; with a deferred failure policy on
    /// an open connection, holds the Close back for ``completeFailure(into:)``.
    private mutating func fail(_ error: FramingError) {
        pendingFailure = error
        if configuration.failurePolicy == .deferred, state == .open {
            frame = nil
            message = InboundMessage()
            pendingHeader = []
            return
        }
        var out = replyBuffer
        replyBuffer = []
        completeFailure(into: &out)
        replyBuffer = out
    }

    /// Writes the Close of a failure that ``Configuration/FailurePolicy/deferred`` held back,
    /// and closes the connection, as an immediate failure would have. Does nothing when no
    /// failure is pending.
    public mutating func completeFailure(into sink: inout some ByteSink) {
        guard let failure = pendingFailure else { return }
        pendingFailure = nil
        let code = failure.closeCode ?? .protocolError
        let reason = Self.truncatedReason(failure.message)
        if sentClose == nil {
            let frame = CloseFrame(code: code, reason: reason)
            writeFrame(.close, payload: frame.encoded, into: &sink)
            sentClose = frame
        }
        close(with: CloseOutcome(code: code, reason: reason, wasClean: false))
    }

    /// Writes a frame of the receiving side (a Pong, a Close) into `replyBuffer`.
    private mutating func writeReply(_ opcode: Opcode, payload: [UInt8]) {
        var out = replyBuffer
        replyBuffer = []
        writeFrame(opcode, payload: payload, into: &out)
        replyBuffer = out
    }

    /// Moves to `closed` with `outcome` and drops what was being received.
    mutating func close(with outcome: CloseOutcome) {
        state = .closed
        self.outcome = outcome
        frame = nil
        message = InboundMessage()
        pendingHeader = []
        controlPayload = []
        scratch = []
    }

    /// `message` cut to fit a Close frame's reason, on a character boundary.
    static func truncatedReason(_ message: String) -> String {
        var reason = ""
        var length = 0
        for character in message {
            length += character.utf8.count
            if length > CloseFrame.maxReasonLength { break }
            reason.append(character)
        }
        return reason
    }
}
