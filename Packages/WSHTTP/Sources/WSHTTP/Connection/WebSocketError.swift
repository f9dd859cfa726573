public import HTTPTypes
public import WSFraming
public import WSHandshake

/// An error of a live WebSocket or of its opening handshake.
///
/// Match by ``code``. A closed connection's outcome, a protocol violation's close code, a
/// refused upgrade's response and body are in the matching properties.
public struct WebSocketError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier of what went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The connection is closed (or closing); ``WebSocketError/outcome`` says how.
        public static let closed = Code("closed")
        /// The task was cancelled while the call waited (a send waiting for the outbound queue
        /// to drain: its message was not sent).
        public static let cancelled = Code("cancelled")
        /// A ping's Pong did not arrive in time.
        public static let pingTimeout = Code("pingTimeout")
        /// The call misused the API: it broke a rule of the protocol (``WebSocketError/framingError``
        /// says which) or of this type (``WebSocketError/message`` says which).
        public static let invalidUse = Code("invalidUse")
        /// The opening handshake failed (``WebSocketError/handshakeError``).
        public static let handshakeFailed = Code("handshakeFailed")
        /// The server answered the upgrade with another status: ``WebSocketError/response``
        /// and ``WebSocketError/body`` hold its answer.
        public static let upgradeRefused = Code("upgradeRefused")
        /// TLS failed: the handshake (a certificate refused, no common version, …) or a record
        /// (``WebSocketError/tlsFailure`` says what and why).
        public static let tlsFailed = Code("tlsFailed")
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code { storage.code }
    /// What was wrong, for a person.
    public var message: String { storage.message }
    /// How the connection ended, for ``Code/closed``.
    public var outcome: CloseOutcome? { storage.outcome }
    /// The protocol rule broken by a call, for ``Code/invalidUse``.
    public var framingError: FramingError? { storage.framingError }
    /// The handshake's failure, for ``Code/handshakeFailed`` and ``Code/upgradeRefused``.
    public var handshakeError: HandshakeError? { storage.handshakeError }
    /// The TLS handler's error, for ``Code/tlsFailed`` (see ``WebSocketTLS/isTLSFailure``).
    /// With WSTLS, its `tlsError` is this error as a `TLSError`, whose kind tells an expired
    /// certificate from a host name mismatch or an unknown CA.
    public var tlsFailure: (any Error)? { storage.tlsFailure }
    /// The server's response to a refused upgrade.
    public var response: HTTPResponse? { handshakeError?.response }
    /// The body of the server's response to a refused upgrade (at most 64 KiB).
    public var body: [UInt8] { storage.body }

    /// Everything out of line: an error is one pointer wherever it is passed or kept (a send's
    /// result, a future's), not the 200-odd bytes of its fields, which each copy would move.
    private let storage: Storage

    private final class Storage: Sendable {
        let code: Code
        let message: String
        let outcome: CloseOutcome?
        let framingError: FramingError?
        let handshakeError: HandshakeError?
        let tlsFailure: (any Error)?
        let body: [UInt8]

        init(code: Code, message: String, outcome: CloseOutcome?, framingError: FramingError?, handshakeError: HandshakeError?,
             tlsFailure: (any Error)?, body: [UInt8]) {
            self.code = code
            self.message = message
            self.outcome = outcome
            self.framingError = framingError
            self.handshakeError = handshakeError
            self.tlsFailure = tlsFailure
            self.body = body
        }
    }

    init(_ code: Code, _ message: String, outcome: CloseOutcome? = nil, framingError: FramingError? = nil,
         handshakeError: HandshakeError? = nil, tlsFailure: (any Error)? = nil, body: [UInt8] = []) {
        storage = Storage(code: code, message: message, outcome: outcome, framingError: framingError, handshakeError: handshakeError,
                          tlsFailure: tlsFailure, body: body)
    }

    static func closed(_ outcome: CloseOutcome?) -> WebSocketError {
        .init(.closed, "the WebSocket is closed" + (outcome.map { " (\($0))" } ?? ""), outcome: outcome)
    }

    static func invalidUse(_ error: FramingError) -> WebSocketError {
        .init(.invalidUse, error.message, framingError: error)
    }

    static func handshake(_ error: HandshakeError, body: [UInt8] = []) -> WebSocketError {
        .init(error.code == .upgradeRefused ? .upgradeRefused : .handshakeFailed, error.message, handshakeError: error, body: body)
    }

    public var description: String { "WebSocket error (\(code)): \(message)" }
}
