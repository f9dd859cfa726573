/// How a connection ended: the code and reason to report, and whether the close handshake
/// completed (RFC 6455 §7.1.5, §7.1.6).
public struct CloseOutcome: Sendable, Hashable, CustomStringConvertible {
    /// The code of the peer's Close frame; 1005 if it had none; 1006 if none arrived; the
    /// code we sent when we failed the connection.
    public var code: CloseCode
    /// The reason that came with ``code``.
    public var reason: String
    /// Whether both Close frames were exchanged before the connection ended.
    public var wasClean: Bool

    /// Creates an outcome.
    public init(code: CloseCode, reason: String = "", wasClean: Bool) {
        self.code = code
        self.reason = reason
        self.wasClean = wasClean
    }

    public var description: String {
        "\(code)\(reason.isEmpty ? "" : " \(reason)") (\(wasClean ? "clean" : "not clean"))"
    }
}
