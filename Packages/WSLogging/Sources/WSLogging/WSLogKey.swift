/// The metadata keys that every layer of WebSockets for Swift logs with, defined once.
///
/// The convention: per-frame events at `trace`; a connection's lifecycle (upgraded, closing,
/// closed) at `debug`; failures of guarded reads and writes at `debug` with their reason;
/// rejected upgrades at `notice` with their reason; payloads never.
public enum WSLogKey {
    /// The connection's identifier, unique within the process: `ws.connection=17`.
    public static let connection = "ws.connection"
    /// The peer's address and port: `ws.remote=127.0.0.1:50122`.
    public static let remote = "ws.remote"
    /// The request target of the upgrade: `ws.target=/chat?room=1`.
    public static let target = "ws.target"
    /// The negotiated subprotocol.
    public static let subprotocol = "ws.subprotocol"
    /// The negotiated extensions, as in `Sec-WebSocket-Extensions`.
    public static let extensions = "ws.extensions"
    /// The close code sent or received.
    public static let closeCode = "ws.close.code"
    /// The close reason sent or received.
    public static let closeReason = "ws.close.reason"
    /// Whether the close handshake completed.
    public static let closeClean = "ws.close.clean"
    /// A frame's opcode (trace level).
    public static let opcode = "ws.opcode"
    /// A frame's or message's length in bytes (never its content).
    public static let length = "ws.length"
    /// Why something failed or was refused, for a person.
    public static let reason = "ws.reason"
    /// The HTTP status of a refused upgrade.
    public static let status = "ws.status"
    /// Marks a record made by ``wslog(_:metadata:logger:file:function:line:)``; ``WebSocketLogger``
    /// shows it as its own level and does not print the key.
    public static let wslog = "wslog"
}
