/// Every policy of one live connection, sans I/O: the protocol (a ``WebSocketConnection``)
/// plus keepalive and its timeout, the idle timeout, the close-handshake deadline, the
/// message rate limit, the outbound budget and the pongs it owes.
///
/// It never reads a clock, arms a timer or touches a socket. The I/O layer feeds it events
/// and carries out the ``Actions`` it answers with:
///
/// - Bytes arrived: ``bytesArrived(at:)``, then ``nextEvent(from:replies:)`` (or
///   ``nextBorrowedEvent(from:replies:)``) in a loop until `nil`, then ``readCompleted()``.
/// - The transport's outbound queue went over or back under the budget:
///   ``outboundPressureChanged(_:into:)``. The consumer fell behind or caught up:
///   ``inboundPressureChanged(_:)``.
/// - A deadline passed: ``timerFired(at:into:)``. The I/O layer keeps one timer, set no later
///   than each ``Actions/deadline`` it is given; a timer that fires early costs nothing.
/// - The peer closed the transport: ``endOfInput()``.
/// - The user sends: ``send(_:payload:applyingTransform:into:)-(_,_,_,ByteSink)``, ``sendPing(_:into:)``,
///   ``close(code:reason:timeout:at:into:)``.
///
/// Bytes to send are written into the sink passed to each call; ``Actions/write`` says that
/// some were. A session is a value with one owner, such as an event loop; it is not `Sendable`.
///
/// ```swift
/// var session = WebSocketSession(role: .server, now: now)
/// var output: [UInt8] = []
/// session.bytesArrived(at: now)    // the time of the read, from your clock
/// var input = UnsafeRawBufferPointer(...)     // what the socket read
/// while let event = try session.nextEvent(from: &input, replies: &output) { handle(event) }
/// let actions = session.readCompleted()        // write `output`; pause reading; close…
/// ```
public struct WebSocketSession {
    /// Where the connection is in its life, as the session sees it (RFC 6455 §7).
    public enum Phase: Hashable, Sendable {
        /// Messages flow both ways.
        case open
        /// This side sent its Close (the user's, an idle or keepalive timeout's) and waits
        /// for the peer's until `deadline`; then the transport is closed at once.
        case closing(deadline: WebSocketSession.Instant)
        /// The WebSocket is closed (the handshake completed, or the connection failed): what
        /// is queued drains and the transport closes. By `deadline` it is closed at once,
        /// whatever is still queued: a peer that stopped reading cannot hold it open.
        case finishing(deadline: WebSocketSession.Instant)
        /// The transport is gone; the outcome says how the connection ended.
        case closed(CloseOutcome)
    }

    /// Whether the transport's outbound queue is over ``Configuration/maxQueuedOutboundBytes``.
    public enum OutboundPressure: Hashable, Sendable {
        /// Under the budget: sends go ahead.
        case withinBudget
        /// Over it: reading stops (the peer's own traffic cannot grow what waits for it),
        /// async sends wait, and only the latest Ping is answered, once the queue drains.
        case overBudget
    }

    /// Whether the consumer of the messages keeps up.
    public enum InboundPressure: Hashable, Sendable {
        /// Messages are taken as they come.
        case flowing
        /// The consumer is behind: reading stops until it catches up.
        case consumerBehind
    }

    /// Whether the I/O layer should read from the transport.
    public enum Reading: Hashable, Sendable {
        /// Read as bytes come.
        case active
        /// Do not read (backpressure, or a violation whose Close waits).
        case paused
    }

    /// The protocol state machine the session drives. Read it for the handshake's state and
    /// frames; change it only through the session, which keeps its policies in step.
    public var connection: WebSocketConnection { _connection }
    @usableFromInline var _connection: WebSocketConnection
    /// The policies in force.
    public let configuration: Configuration
    /// Where the connection is in its life.
    public internal(set) var phase: Phase = .open
    /// The outbound queue against the budget, as last reported.
    public internal(set) var outbound: OutboundPressure = .withinBudget
    /// The consumer, as last reported.
    public internal(set) var inbound: InboundPressure = .flowing
    /// What the I/O layer was last told about reading.
    public internal(set) var reading: Reading = .active
    /// The round-trip time of the latest keepalive Ping that was answered.
    public internal(set) var lastKeepAliveRoundTrip: Duration?
    /// How many keepalive Pings were answered: a change says that ``lastKeepAliveRoundTrip``
    /// is new (a Pong that answers no keepalive leaves both as they were).
    public internal(set) var keepAliveAnswers = 0

    var keepAlive: KeepAlive<WebSocketSession.Instant>?
    /// When bytes last arrived: the idle timeout counts from here.
    var lastActivity: WebSocketSession.Instant
    /// The time of the read being processed; messages in one read share it.
    var readTime: WebSocketSession.Instant
    /// The instant the rate limit's nanoseconds count from.
    let origin: WebSocketSession.Instant
    @usableFromInline var rateBucket: TokenBucket?
    /// The payload of the latest Ping not yet answered because the outbound queue is over
    /// the budget (RFC 6455 §5.5.3 allows answering only the most recent Ping).
    var owedPong: [UInt8]?
    /// Why this side is ending the connection without the peer's Close (a keepalive, idle or
    /// close timeout, the rate limit): the reason of a 1006 outcome.
    var localReason: String?
    /// When a held violation's Close goes out even if the consumer has not caught up.
    var failureDeadline: WebSocketSession.Instant?
    /// Actions decided while decoding a read, handed out by ``readCompleted()``.
    var pending = Actions()

    /// A session in the open state, as the opening handshake leaves it.
    ///
    /// - Parameters:
    ///   - role: server or client: the masking rules, and which side closes the transport.
    ///   - configuration: the policies; ``Configuration/default`` unless given.
    ///   - transform: the negotiated per-message extension (permessage-deflate), if any.
    ///   - maskingKeys: a client's masking keys; the system's secure random bytes unless given.
    ///   - now: the current time: keepalive and idle deadlines count from it.
    public init(
        role: WebSocketRole, configuration: Configuration = .default, transform: (any MessageTransform)? = nil,
        maskingKeys: any MaskingKeyGenerator = SystemMaskingKeyGenerator(), now: WebSocketSession.Instant
    ) {
        var framing = configuration.framing
        // Pongs are the session's to write: it answers the latest Ping only while over budget.
        framing.pongPolicy = .manual
        _connection = WebSocketConnection(role: role, configuration: framing, transform: transform, maskingKeys: maskingKeys)
        self.configuration = configuration
        lastActivity = now
        readTime = now
        origin = now
        if case .every(let interval, let timeout) = configuration.keepAlive {
            keepAlive = KeepAlive(interval: interval, timeout: timeout, now: now)
        }
        rateBucket = configuration.messageRateLimit.map { TokenBucket($0, now: 0) }
    }

    /// Server or client.
    public var role: WebSocketRole { _connection.role }

    /// How the connection ended, once the transport is gone.
    public var outcome: CloseOutcome? {
        if case .closed(let outcome) = phase { outcome } else { nil }
    }

    /// Whether data messages may still be sent: no Close was sent or received.
    public var canSendData: Bool { _connection.state == .open && phase == .open }

    /// The earliest time at which ``timerFired(at:into:)`` has something to decide, or `nil`
    /// when no deadline is pending.
    public var nextDeadline: WebSocketSession.Instant? {
        switch phase {
        case .open:
            var earliest = keepAlive?.nextDeadline
            if let idle = configuration.idleTimeout {
                let due = lastActivity.advanced(by: idle)
                earliest = earliest.map { min($0, due) } ?? due
            }
            if let due = failureDeadline { earliest = earliest.map { min($0, due) } ?? due }
            return earliest
        case .closing(let deadline), .finishing(let deadline):
            return deadline
        case .closed:
            return nil
        }
    }

    /// The longest a violation's Close waits (``WebSocketConnection/Configuration/FailurePolicy/deferred``)
    /// for the consumer to handle the messages that came before it.
    public static let maxFailureDelay = Duration.seconds(1)
}

@available(*, unavailable)
extension WebSocketSession: Sendable {}
