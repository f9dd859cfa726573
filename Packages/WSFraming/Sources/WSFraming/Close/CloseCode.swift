/// A close status code (RFC 6455 §7.4 and the IANA "WebSocket Close Code Number" registry).
///
/// Any 16-bit value can be represented, so that a code read from the wire can be reported;
/// ``isValidOnWire`` says whether a peer may send it.
public struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Creates a close code from its number.
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: the purpose of the connection was fulfilled.
    public static let normalClosure = CloseCode(1000)
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    public static let goingAway = CloseCode(1001)
    /// 1002: the peer broke the protocol.
    public static let protocolError = CloseCode(1002)
    /// 1003: the endpoint cannot accept this kind of data.
    public static let unsupportedData = CloseCode(1003)
    /// 1005: reported when a Close frame had no code. Never sent.
    public static let noStatusReceived = CloseCode(1005)
    /// 1006: reported when the connection ended without a Close frame. Never sent.
    public static let abnormalClosure = CloseCode(1006)
    /// 1007: a message's data was inconsistent with its type (invalid UTF-8 in text).
    public static let invalidPayloadData = CloseCode(1007)
    /// 1008: a message violated the endpoint's policy.
    public static let policyViolation = CloseCode(1008)
    /// 1009: a message was too big to process.
    public static let messageTooBig = CloseCode(1009)
    /// 1010: the client expected the server to negotiate an extension.
    public static let mandatoryExtension = CloseCode(1010)
    /// 1011: the server met an unexpected condition.
    public static let internalError = CloseCode(1011)
    /// 1012: the service is restarting (IANA registry).
    public static let serviceRestart = CloseCode(1012)
    /// 1013: try again later (IANA registry).
    public static let tryAgainLater = CloseCode(1013)
    /// 1014: a gateway or proxy got an invalid response (IANA registry).
    public static let badGateway = CloseCode(1014)
    /// 1015: reported when the TLS handshake failed. Never sent.
    public static let tlsHandshakeFailure = CloseCode(1015)

    /// Whether a peer may put this code in a Close frame (RFC 6455 §7.4.1, §7.4.2 and the IANA registry).
    ///
    /// Valid: 1000-1003, 1007-1014 and 3000-4999. Invalid: everything below 1000; 1004
    /// (reserved); 1005, 1006 and 1015 (reported locally, never sent); 1016-2999 (unassigned
    /// or reserved for future protocol revisions); 5000 and above.
    public var isValidOnWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    public var description: String { "\(rawValue)" }
}
