/// The WebSocket protocol of one connection, sans I/O: bytes in, events out; messages in,
/// bytes out (RFC 6455 §5-§8).
///
/// It never touches a socket, a clock or a thread. The caller owns the I/O:
///
/// - Feed received bytes to ``nextEvent(from:replies:)`` in a loop until it returns `nil`
///   (every byte consumed and held). Send what it wrote to `replies` (automatic pongs, Close
///   replies).
/// - When it throws a ``FramingError`` (always a remote fault), the Close frame that fails the
///   connection is already in `replies`: send it, then close the TCP connection.
/// - When the peer closes the TCP connection, call ``receiveEndOfInput(reason:)``.
/// - Send messages with ``sendText(_:into:)``, ``sendBinary(_:into:)``, ``sendFragment(_:_:isFinal:applyingTransform:into:)-(_,[UInt8],_,_,_)``,
///   ``sendPing(_:into:)`` and ``sendClose(code:reason:into:)``, then write the sink's bytes.
/// - When ``state`` becomes ``State/closed``, close the TCP connection (a client waits a
///   moment for the server to do it first).
///
/// A connection is a value with one owner, such as an event loop; it is not `Sendable`.
public struct WebSocketConnection {
    /// Server or client: it decides the masking rules.
    public let role: WebSocketRole
    /// The limits and policies in force.
    public let configuration: Configuration
    /// Where the connection is in its life.
    public internal(set) var state: State = .open
    /// How the connection ended, once it has: set by the close handshake, a failure or the
    /// end of input.
    public internal(set) var outcome: CloseOutcome?
    /// The Close frame this endpoint sent, if any.
    public internal(set) var sentClose: CloseFrame?
    /// The Close frame the peer sent, if any.
    public internal(set) var receivedClose: CloseFrame?
    /// The violation that fails the connection, while its Close waits for
    /// ``completeFailure(into:)`` (``Configuration/FailurePolicy/deferred`` only).
    public internal(set) var pendingFailure: FramingError?

    var maskingKeys: any MaskingKeyGenerator
    let transform: (any MessageTransform)?
    /// The reserved bits allowed on the first frame of a data message.
    let transformBits: ReservedBits

    // Inbound.
    var pendingHeader: [UInt8] = []
    var frame: InboundFrame?
    var message = InboundMessage()
    var controlPayload: [UInt8] = []
    var scratch: [UInt8] = []
    /// Frames the receiving side wrote (pongs, Close replies), passed on to the caller's sink.
    var replyBuffer: [UInt8] = []
    /// Where masked messages are unmasked for ``nextBorrowedEvent(from:replies:)``: shared
    /// (``shareUnmaskBuffer(_:)``), or allocated on first use.
    var borrowedPayload: UnmaskBuffer?

    // Outbound: the kind of a message being sent in fragments by `sendFragment`.
    var outboundFragmentKind: MessageKind?
    /// Whether the transform encodes the message being sent in fragments.
    var outboundFragmentTransformed = false

    /// Creates a connection in the open state.
    ///
    /// - Parameters:
    ///   - role: server or client.
    ///   - configuration: limits and policies; ``Configuration/default`` unless given.
    ///   - transform: the negotiated per-message extension (permessage-deflate), if any.
    ///   - maskingKeys: the source of a client's masking keys; the system's secure random
    ///     bytes unless given. Unused by a server.
    public init(
        role: WebSocketRole,
        configuration: Configuration = .default,
        transform: (any MessageTransform)? = nil,
        maskingKeys: any MaskingKeyGenerator = SystemMaskingKeyGenerator()
    ) {
        self.role = role
        self.configuration = configuration
        self.transform = transform
        self.transformBits = transform?.reservedBits ?? []
        self.maskingKeys = maskingKeys
    }
}

/// The frame whose payload is being read.
struct InboundFrame {
    var opcode: Opcode
    var isFinal: Bool
    var maskingKey: MaskingKey?
    /// Payload bytes not yet read.
    var remaining: Int
    /// Payload bytes already read: the offset into the masking key.
    var position: Int = 0
}

/// The data message being received.
struct InboundMessage {
    /// The message's kind, or `nil` between messages.
    var kind: MessageKind?
    /// The bytes received and not yet handed out.
    var bytes: [UInt8] = []
    /// Bytes received so far (after decoding by the transform).
    var size = 0
    /// Frames received so far.
    var frames = 1
    var utf8 = UTF8Validator()
    /// Whether the transform decodes this message.
    var isTransformed = false
    /// Whether the first piece was handed out (streaming mode).
    var deliveredFirst = false
    /// Whether the message arrived after our Close and is thrown away.
    var isDiscarded = false
}
