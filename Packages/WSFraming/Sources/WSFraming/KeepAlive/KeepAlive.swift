/// Decides when to ping a quiet peer and when a missing Pong means the connection is dead
/// (RFC 6455 §5.5.2: "a Ping frame may serve either as a keepalive or as a means to verify
/// that the remote endpoint is still responsive").
///
/// Sans I/O: time comes in as a parameter, so any clock works and tests control it. The I/O
/// layer calls ``received(at:)`` whenever bytes arrive and ``pongReceived(_:at:)`` for each
/// Pong, and schedules a timer for ``nextDeadline``; when it fires, it calls
/// ``timerFired(at:)`` and carries out the action.
///
/// A ping goes out after ``interval`` without any inbound bytes; if its Pong has not come
/// back ``timeout`` later, the connection is dead.
public struct KeepAlive<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    /// What the I/O layer must do when the timer fires.
    public enum Action: Sendable, Hashable {
        /// Nothing yet; set the timer for ``KeepAlive/nextDeadline``.
        case wait
        /// Send a Ping with this payload, then set the timer for ``KeepAlive/nextDeadline``.
        case sendPing([UInt8])
        /// No Pong came back in time: fail the connection (close code 1011, reported as an
        /// abnormal closure, 1006) and close the TCP connection.
        case timedOut
    }

    /// How long the peer may stay silent before it is pinged.
    public let interval: Duration
    /// How long a Pong may take to come back.
    public let timeout: Duration

    private var lastActivity: Instant
    private var outstanding: (payload: [UInt8], sentAt: Instant)?
    private var pingsSent: UInt64 = 0

    /// Starts keeping the connection alive.
    ///
    /// - Parameters:
    ///   - interval: silence before a ping; must be positive.
    ///   - timeout: time a Pong may take; must be positive.
    ///   - now: the current time; the first ping is due at `now + interval`.
    public init(interval: Duration, timeout: Duration, now: Instant) {
        precondition(interval > .zero && timeout > .zero, "keepalive interval and timeout must be positive")
        self.interval = interval
        self.timeout = timeout
        self.lastActivity = now
    }

    /// When ``timerFired(at:)`` should be called next.
    public var nextDeadline: Instant {
        if let outstanding { outstanding.sentAt.advanced(by: timeout) } else { lastActivity.advanced(by: interval) }
    }

    /// Whether a keepalive Ping is waiting for its Pong.
    public var isAwaitingPong: Bool { outstanding != nil }

    /// Notes that bytes arrived from the peer: it is alive, so the next ping moves back.
    public mutating func received(at now: Instant) {
        lastActivity = now
    }

    /// Notes a Pong. One that carries the outstanding ping's payload settles it; others
    /// (answers to the user's own pings, unsolicited pongs) only count as activity.
    ///
    /// - Returns: the round-trip time when the Pong answers the keepalive's ping.
    @discardableResult
    public mutating func pongReceived(_ payload: [UInt8], at now: Instant) -> Duration? {
        lastActivity = now
        guard let outstanding, outstanding.payload == payload else { return nil }
        self.outstanding = nil
        return outstanding.sentAt.duration(to: now)
    }

    /// Decides what to do at `now`.
    public mutating func timerFired(at now: Instant) -> Action {
        if let outstanding {
            return now >= outstanding.sentAt.advanced(by: timeout) ? .timedOut : .wait
        }
        guard now >= lastActivity.advanced(by: interval) else { return .wait }
        pingsSent &+= 1
        let payload = withUnsafeBytes(of: pingsSent.bigEndian) { Array($0) }
        outstanding = (payload, now)
        return .sendPing(payload)
    }
}
