/// An error of the WebSocket protocol core: who is at fault, what went wrong, and which
/// close code to send.
///
/// A fault of the remote peer (``Fault/remote``) is a protocol violation: the connection
/// sent a Close frame with ``closeCode`` and must now be closed (RFC 6455 §7.1.7).
/// A local fault (``Fault/local``) is a misuse of the API, such as sending after closing;
/// the connection is unaffected and nothing was written.
///
/// Match errors by ``code``: `if error.code == .invalidUTF8 { … }`.
public struct FramingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Who caused an error.
    public enum Fault: Hashable, Sendable {
        /// The peer broke the protocol; the connection is failed.
        case remote
        /// The caller misused the API; nothing was sent.
        case local
    }

    /// A stable identifier of what went wrong, for matching.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case reservedOpcode, invalidLength, fragmentedControlFrame, oversizedControlFrame
            case maskRequired, maskForbidden, reservedBitsSet
            case unexpectedContinuation, expectedContinuation
            case frameTooLarge, messageTooLarge, tooManyFrames
            case invalidUTF8, invalidClosePayload, invalidCloseCode
            case extensionFailure
            case connectionClosed, messageInProgress, noMessageInProgress
            case controlPayloadTooLarge, closeReasonTooLong, unsendableCloseCode
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A frame used a reserved opcode (RFC 6455 §5.2).
        public static let reservedOpcode = Code(.reservedOpcode)
        /// A 64-bit payload length had its most significant bit set (RFC 6455 §5.2).
        public static let invalidLength = Code(.invalidLength)
        /// A control frame was not final (RFC 6455 §5.5).
        public static let fragmentedControlFrame = Code(.fragmentedControlFrame)
        /// A control frame carried more than 125 bytes (RFC 6455 §5.5).
        public static let oversizedControlFrame = Code(.oversizedControlFrame)
        /// A client sent an unmasked frame to a server (RFC 6455 §5.1).
        public static let maskRequired = Code(.maskRequired)
        /// A server sent a masked frame to a client (RFC 6455 §5.1).
        public static let maskForbidden = Code(.maskForbidden)
        /// A frame set reserved bits that no negotiated extension claims (RFC 6455 §5.2).
        public static let reservedBitsSet = Code(.reservedBitsSet)
        /// A continuation frame arrived with no message in progress (RFC 6455 §5.4).
        public static let unexpectedContinuation = Code(.unexpectedContinuation)
        /// A new data frame arrived while a fragmented message was in progress (RFC 6455 §5.4).
        public static let expectedContinuation = Code(.expectedContinuation)
        /// A frame's payload was larger than the configured limit (close code 1009).
        public static let frameTooLarge = Code(.frameTooLarge)
        /// A message was larger than the configured limit (close code 1009).
        public static let messageTooLarge = Code(.messageTooLarge)
        /// A message came in more frames than the configured limit (close code 1009).
        public static let tooManyFrames = Code(.tooManyFrames)
        /// A text message or a close reason was not valid UTF-8 (RFC 6455 §8.1, close code 1007).
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A Close frame's payload was one byte long (RFC 6455 §5.5.1).
        public static let invalidClosePayload = Code(.invalidClosePayload)
        /// A Close frame carried a code that may not appear on the wire (RFC 6455 §7.4).
        public static let invalidCloseCode = Code(.invalidCloseCode)
        /// A negotiated extension refused a frame (for example, corrupt compressed data).
        public static let extensionFailure = Code(.extensionFailure)
        /// The caller sent after the connection started closing.
        public static let connectionClosed = Code(.connectionClosed)
        /// The caller began a message while a fragmented one was still being sent.
        public static let messageInProgress = Code(.messageInProgress)
        /// The caller sent a continuation fragment with no message in progress.
        public static let noMessageInProgress = Code(.noMessageInProgress)
        /// The caller gave a ping or pong payload longer than 125 bytes (RFC 6455 §5.5).
        public static let controlPayloadTooLarge = Code(.controlPayloadTooLarge)
        /// The caller gave a close reason longer than 123 bytes of UTF-8 (RFC 6455 §5.5).
        public static let closeReasonTooLong = Code(.closeReasonTooLong)
        /// The caller gave a close code that may not be sent (RFC 6455 §7.4).
        public static let unsendableCloseCode = Code(.unsendableCloseCode)

        public var description: String { "\(value)" }
    }

    /// What went wrong.
    public let code: Code
    /// Who is at fault.
    public let fault: Fault
    /// The close code sent to the peer for a remote fault; `nil` for a local fault.
    public let closeCode: CloseCode?
    /// What went wrong, for a person.
    public let message: String

    init(_ code: Code, fault: Fault, closeCode: CloseCode?, _ message: String) {
        self.code = code
        self.fault = fault
        self.closeCode = closeCode
        self.message = message
    }

    /// A protocol violation by the peer, failing the connection with `closeCode`.
    static func remote(_ code: Code, _ closeCode: CloseCode, _ message: String) -> FramingError {
        FramingError(code, fault: .remote, closeCode: closeCode, message)
    }

    /// A protocol violation by the peer, failing the connection with 1002.
    static func protocolError(_ code: Code, _ message: String) -> FramingError {
        FramingError(code, fault: .remote, closeCode: .protocolError, message)
    }

    /// A remote fault found by a negotiated extension (such as corrupt compressed data), for
    /// a ``MessageTransform`` to throw.
    ///
    /// - Parameters:
    ///   - message: what was wrong, for a person.
    ///   - closeCode: the code that fails the connection; default 1007 (RFC 6455 §7.4.1:
    ///     data inconsistent with the message's type).
    public static func extensionFailure(_ message: String, closeCode: CloseCode = .invalidPayloadData) -> FramingError {
        FramingError(.extensionFailure, fault: .remote, closeCode: closeCode, message)
    }

    /// A misuse of the API by the caller.
    static func local(_ code: Code, _ message: String) -> FramingError {
        FramingError(code, fault: .local, closeCode: nil, message)
    }

    public var description: String {
        switch fault {
        case .remote:
            "peer violated the WebSocket protocol (close code \(closeCode?.rawValue ?? 0)): \(message)"
        case .local:
            "invalid use of the WebSocket connection: \(message)"
        }
    }
}
